"""Generation of the demo hub's ground truth: one article's fields from (seed, id).

Each article has its own generator keyed by (seed, id), so an article does not change when
others are added (``DemoHub.mutated`` relies on it). The feature switches (theme, structured
data, charset, agency style) are spread so that a hub of a few dozen articles has them all.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from crawler.demo.text import AGENCIES, AUTHORS, CATEGORIES, Writer, slugify
from crawler.demo.web import SITE_TZ

THEMES = ("jnews", "tagdiv", "generatepress")
AGENCY_STYLES = ("translated", "source", "quoting")
MIN_WORDS, MAX_WORDS = 250, 700


def agency_line(style: str, site: str, agency: str) -> str:
    """The attribution text for one of AGENCY_STYLES."""
    if style == "translated":
        return f"© {site} has translated this news from the source of {agency}"
    if style == "source":
        return f"Source: {agency}"
    return f"{site} reported this news quoting {agency}"


def body_blocks(
    writer: Writer, rng: random.Random, agency: str, legacy: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Body blocks and subheadings, MIN_WORDS..MAX_WORDS words."""
    while True:
        n_paras = rng.randint(4, 8)
        per = rng.randint(MIN_WORDS + 10, MAX_WORDS - 80) // n_paras - 12
        paras = [writer.paragraph(max(per, 20)) for _ in range(n_paras)]
        if rng.random() < 0.4:
            desk = writer.topic
            paras[0] = f"According to the report of the {desk} desk of {agency}, " + (
                paras[0][0].lower() + paras[0][1:]
            )
        if legacy or rng.random() < 0.2:
            paras[1] = f"{writer.communique()} {paras[1]}"
        subs = [writer.subheading() for _ in range(rng.randint(1, 2))]
        if len(set(subs)) != len(subs):
            continue
        blocks = list(paras)
        for i, sub in enumerate(subs):
            blocks.insert(2 + i * 3 if 2 + i * 3 < len(blocks) else len(blocks) - 1, sub)
        words = sum(len(b.split()) for b in blocks)
        if MIN_WORDS <= words <= MAX_WORDS:
            return tuple(blocks), tuple(subs)


def article_fields(
    seed: int, id: int, published: datetime, limit: datetime, site_name: str, used: set[str]
) -> dict[str, Any]:
    """``DemoArticle`` fields for one article; ``used`` holds taken titles and slugs (updated
    here) and ``limit`` bounds ``modified_at``."""
    rng = random.Random(f"newshub-demo:{seed}:{id}")
    category = rng.choice(CATEGORIES)
    writer = Writer(rng, category)
    while True:
        title = writer.headline()
        slug = slugify(title)
        if title not in used and slug not in used:
            used.update((title, slug))
            break
    legacy = id % 11 == 5
    agency = rng.choice(AGENCIES)
    style = rng.choice(AGENCY_STYLES)
    lead = writer.lead()
    blocks, subs = body_blocks(writer, rng, agency, legacy)
    tags = [writer.country, writer.topic[0].upper() + writer.topic[1:]]
    if rng.random() < 0.6:
        tags.insert(1, writer.other)
    if rng.random() < 0.4:
        tags.append(writer.city)
    modified = None
    if rng.random() < 0.35:
        candidate = published + timedelta(minutes=rng.randint(60, 4320))
        modified = candidate if candidate < limit else None
    local = published.astimezone(SITE_TZ)
    older = range(max(1, id - 40), id)
    return dict(
        id=id,
        slug=slug,
        path=f"/{local:%Y/%m/%d}/{slug}/",
        title=title,
        lead=lead,
        blocks=blocks,
        subheadings=subs,
        author=rng.choice(AUTHORS),
        category=category,
        category_slug=slugify(category),
        tags=tuple(dict.fromkeys(tags)),
        agency=agency,
        agency_line=agency_line(style, site_name, agency),
        published_at=published,
        modified_at=modified,
        language="en",
        theme=THEMES[id % 3],
        has_jsonld=rng.random() < 0.67,
        has_opengraph=rng.random() < 0.5,
        charset="windows-1252" if legacy else "utf-8",
        image=f"/wp-content/uploads/{local:%Y/%m}/{slug}.png",
        related=tuple(sorted(rng.sample(older, min(3, len(older))), reverse=True)),
        agency_style=style,
        end_marker=rng.random() < 0.5,
    )


def edited_blocks(
    blocks: tuple[str, ...], subheadings: tuple[str, ...], category: str, rng: random.Random
) -> tuple[str, ...]:
    """``blocks`` with one paragraph rewritten, still MIN_WORDS..MAX_WORDS words."""
    writer = Writer(rng, category)
    paras = [i for i, b in enumerate(blocks) if b not in subheadings]
    while True:
        new = list(blocks)
        i = rng.choice(paras)
        new[i] = writer.paragraph(max(20, len(new[i].split()) - 15))
        if MIN_WORDS <= sum(len(b.split()) for b in new) <= MAX_WORDS and new[i] != blocks[i]:
            return tuple(new)
