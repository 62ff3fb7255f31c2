"""`extract()`: one page in, one `Article` out, parsed once and never raising."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from crawler.urls import clean_url, is_action

from . import agency as agency_mod
from . import blocks as blocks_mod
from . import body as body_mod
from . import dates, fields, language, links, structured
from .article import Article
from .decode import decode, header, looks_binary
from .dom import body_of, norm, parse, text_of
from .index import PageIndex
from .rules import SiteRules

EXTRACTOR_VERSION = "newshub-extract/1"
_NO_RULES = SiteRules()
# Trafilatura's and htmldate's cost grows steeply with page size; past these they are skipped.
_FALLBACK_MAX_ELEMENTS = 15_000
_FALLBACK_MAX_CHARS = 3_000_000


def extract(
    html: bytes | str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    rules: SiteRules | None = None,
) -> Article:
    """Extract an article; hostile input gives an empty or partial Article with `problems`."""
    article = Article(url=str(url or ""), extractor_version=EXTRACTOR_VERSION)
    try:
        _extract(article, html, article.url, headers, rules or _NO_RULES)
    except Exception as exc:  # the contract is "never raises": record and return what we have
        article.problems.append(f"extractor error: {type(exc).__name__}: {exc}"[:300])
    return article


def _extract(
    art: Article, html: bytes | str, url: str, headers: Mapping[str, str] | None, rules: SiteRules
) -> None:
    problems, sources = art.problems, art.sources
    art.url = clean_url(url) if url else url
    if isinstance(html, bytes | bytearray | memoryview):
        raw = bytes(html)
        if not raw.strip():
            problems.append("empty document")
            return
        if reason := looks_binary(raw):
            problems.append(reason)
            return
        text, codec = decode(raw, headers, problems)
        sources["encoding"] = codec
    elif isinstance(html, str):
        text = html
    else:
        problems.append(f"unsupported input type {type(html).__name__}")
        return
    root = parse(text, problems)
    if root is None:
        return
    page = PageIndex(root)
    if page.truncated:
        problems.append("over 50000 marked elements; only the first ones are indexed")
    base = _base(root, url)
    data = structured.read(root, problems)
    art.url = _canonical(root, data, url, sources)

    site_names = data.site_names
    art.title, sources["title"] = fields.find_title(page, data, rules.title, site_names)
    art.category, sources["category"] = fields.find_category(page, data, rules.category, art.title)
    art.tags, sources["tags"] = fields.find_tags(page, data, rules.tags, art.category)
    art.author, sources["author"] = fields.find_author(page, data, rules.author, site_names)
    art.lead, sources["lead"] = fields.find_lead(page, data, rules.lead)
    tz = rules.tz() if rules.timezone else None
    art.published_at, art.modified_at = dates.find_dates(
        page,
        data,
        art.url or url,
        text,
        sources,
        tz=tz,
        rules=(rules.date, rules.modified),
        last_modified=_http_date(header(headers, "last-modified")),
    )

    container, walk = _body(art, page, text, url, base, rules)
    blocks = art.body.split("\n\n") if art.body else []
    for source, find in (
        ("rules", lambda: _rule_agency(page, rules)),
        ("credit-line", lambda: agency_mod.find_credit(root)),
        ("credit-line", lambda: _first_credit(walk.credits)),
        ("source-box", lambda: agency_mod.find_source_box(page)),
        ("body-mention", lambda: agency_mod.find_mention(blocks[:2] + blocks[-1:])),
    ):
        credit = find()
        if credit and credit[0]:
            art.agency, art.agency_line = credit
            sources["agency"] = source
            break

    declared = rules.language or _declared_language(root, data, headers)
    art.language = language.primary(declared) if declared else None
    sources["language"] = "declared" if art.language else ""
    if art.language is None:
        art.language = language.detect(" ".join(filter(None, (art.title, art.body))))
        sources["language"] = "detected" if art.language else ""

    if rules.image and (hits := [h for s in rules.image for h in page.find(s)]):
        hit = hits[0]
        src = hit if isinstance(hit, str) else hit.get("src") or hit.get("content")
        art.image, sources["image"] = links.absolute(src, base), "rules"
    if not art.image:
        art.image, sources["image"] = fields.find_image(page, data, container, base)
    art.links = _links(walk.links + walk.related_links + _related_outside(page, base), art.url)

    if art.published_at is None and _small(page.root, text):
        guess = dates.htmldate_published(text, url)
        # htmldate reads the same meta tags; its guess must not be the modification date.
        if guess is not None and not (art.modified_at and guess.date() == art.modified_at.date()):
            art.published_at = guess
            sources["published_at"] = "htmldate"
    for name in [k for k, v in sources.items() if not v]:
        del sources[name]
    if not art.body:
        problems.append("no article body found")
    if not art.title:
        problems.append("no title found")


class _Walked:
    """What the body step hands back: links and credit lines it saw."""

    def __init__(self) -> None:
        self.links: list[str] = []
        self.related_links: list[str] = []
        self.credits: list[str] = []


def _body(
    art: Article, page: PageIndex, text: str, url: str, base: str, rules: SiteRules
) -> tuple[etree._Element | None, _Walked]:
    out = _Walked()
    found = body_mod.find_container(page, rules.body)
    removed: set[etree._Element] = set()
    for spec in rules.remove:
        removed.update(h for h in page.find(spec) if isinstance(h, etree._Element))
    container = found[0] if found else None
    blocks: list[str] = []
    if container is not None:
        walk = body_mod.walk(container, base, removed)
        blocks, related, credits = blocks_mod.clean_blocks(
            walk.blocks,
            title=art.title,
            category=art.category,
            is_credit=agency_mod.credit_match,
        )
        out.links, out.related_links = walk.links, walk.related_links + related
        out.credits = [b.text for b in credits]
        art.sources["body"] = f"container:{found[1]}" if found else "container"
    if not blocks:
        if container is not None:
            art.problems.append("content container held no text; used trafilatura")
        if _small(page.root, text):
            blocks = _clean_texts(blocks_mod.trafilatura_blocks(text, url), art, out)
            art.sources["body"] = "trafilatura"
        else:
            art.problems.append("page too large for the trafilatura fallback")
    if not blocks and (fallback := body_mod.paragraph_container(body_of(page.root))) is not None:
        walk = body_mod.walk(fallback, base, removed)
        blocks, _, _ = blocks_mod.clean_blocks(
            walk.blocks, title=art.title, category=art.category, is_credit=agency_mod.credit_match
        )
        container = fallback
        art.sources["body"] = "paragraphs"
    if blocks and art.lead and norm(blocks[0]) == norm(art.lead) and len(blocks) > 1:
        blocks = blocks[1:]
    art.body = "\n\n".join(blocks) or None
    return container, out


def _small(root: etree._Element, text: str) -> bool:
    """Whether the slow library fallbacks (trafilatura, htmldate) may run on this page."""
    if len(text) > _FALLBACK_MAX_CHARS:
        return False
    return sum(1 for _ in itertools.islice(root.iter(), _FALLBACK_MAX_ELEMENTS + 1)) <= (
        _FALLBACK_MAX_ELEMENTS
    )


def _clean_texts(texts: list[str], art: Article, out: _Walked) -> list[str]:
    blocks = [blocks_mod.Block(t, "p") for t in texts]
    kept, _, credits = blocks_mod.clean_blocks(
        blocks, title=art.title, category=art.category, is_credit=agency_mod.credit_match
    )
    out.credits = [b.text for b in credits]
    return kept


def _first_credit(lines: list[str]) -> tuple[str, str] | None:
    for line in lines:
        if name := agency_mod.credit_match(line):
            return name, line
    return None


def _rule_agency(page: PageIndex, rules: SiteRules) -> tuple[str, str] | None:
    for spec in rules.agency:
        for hit in page.find(spec):
            line = norm(hit if isinstance(hit, str) else text_of(hit))
            if line:
                name = agency_mod.credit_match(line)
                return name or agency_mod.normalize(
                    re.sub(r"^[^:：]{1,20}[:：]\s*", "", line)
                ), line
    return None


def _http_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _base(root: etree._Element, url: str) -> str:
    href = next((b.get("href") for b in root.iter("base") if b.get("href")), None)
    return (links.absolute(href, url) if href else None) or url


def _canonical(
    root: etree._Element, data: structured.Structured, url: str, sources: dict[str, str]
) -> str:
    """rel=canonical, else og:url, else the page URL; only on the page's own site."""
    page = clean_url(url) if url else url
    canonical = next(
        (
            link.get("href") or ""
            for link in root.iter("link")
            if "canonical" in (link.get("rel") or "").lower().split()
        ),
        "",
    )
    for raw, source in (
        (canonical, "canonical"),
        (data.first_meta("og:url"), "og:url"),
    ):
        target = links.absolute(str(raw), url) if raw else None
        if target and (not url or links.same_site(target, url)):
            sources["url"] = source
            return clean_url(target)
    sources["url"] = "page"
    return page


def _declared_language(
    root: etree._Element, data: structured.Structured, headers: Mapping[str, str] | None
) -> str | None:
    for value in (
        root.get("lang"),
        root.get("xml:lang"),
        header(headers, "content-language"),
        data.first_meta("og:locale", "content-language", "language", "dc.language"),
    ):
        if language.primary(value):
            return value
    return None


def _related_outside(page: PageIndex, base: str) -> list[str]:
    """Links of related-posts blocks (the outermost ones), wherever they sit on the page."""
    blocks = {
        el
        for index in (page.by_class, page.by_id)
        for token, els in index.items()
        if "related" in token.lower() and body_mod.is_related(token)
        for el in els
    }
    out: list[str] = []
    for el in sorted(blocks, key=page.position.__getitem__):
        if any(parent in blocks for parent in el.iterancestors()):
            continue
        out.extend(u for a in el.iter("a") if (u := links.absolute(a.get("href"), base)))
    return out


def _links(found: list[str], page: str) -> list[str]:
    out: dict[str, None] = {}
    for url in found:
        if is_action(url) or links.is_media(url):
            continue
        cleaned = clean_url(url)
        if cleaned != page:
            out.setdefault(cleaned)
    return list(out)
