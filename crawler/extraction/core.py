"""`extract()`: one page in, one `Article` out, parsed once and never raising."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from crawler.urls import clean_url

from . import agency as agency_mod
from . import blocks as blocks_mod
from . import body as body_mod
from . import dates, fields, language, links, structured, taxonomy
from .article import Article
from .decode import decode, header, looks_binary
from .dom import body_of, norm, parse
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
    url = str(url or "")
    article = Article(url=url, extractor_version=EXTRACTOR_VERSION)
    tree = page_tree(article, html, headers)
    if tree is None:
        return article
    return extract_tree(article, tree[0], tree[1], url, headers, rules)


def page_tree(
    article: Article, html: bytes | str, headers: Mapping[str, str] | None
) -> tuple[str, etree._Element] | None:
    """The page decoded and parsed, once; None (the reason in article.problems) when nothing
    usable remains. Never raises."""
    try:
        article.url = clean_url(article.url) if article.url else article.url
        text = _text(article, html, headers)
        if text is None:
            return None
        root = parse(text, article.problems)
    except Exception as exc:  # the contract is "never raises": record and return what we have
        article.problems.append(f"extractor error: {type(exc).__name__}: {exc}"[:300])
        return None
    return None if root is None else (text, root)


def extract_tree(
    article: Article,
    text: str,
    root: etree._Element,
    url: str,
    headers: Mapping[str, str] | None,
    rules: SiteRules | None,
) -> Article:
    """Extract the article from a page page_tree parsed (the tree is only read); url as
    fetched, before cleaning."""
    try:
        _extract(article, text, root, url, headers, rules or _NO_RULES)
    except Exception as exc:  # the contract is "never raises": record and return what we have
        article.problems.append(f"extractor error: {type(exc).__name__}: {exc}"[:300])
    return article


def _extract(
    art: Article,
    text: str,
    root: etree._Element,
    url: str,
    headers: Mapping[str, str] | None,
    rules: SiteRules,
) -> None:
    page = PageIndex(root)
    if page.truncated:
        art.problems.append("over 50000 marked elements; only the first ones are indexed")
    base = links.base_url(root, url)
    data = structured.read(root, art.problems)
    art.url = links.canonical_url(root, data, url, art.sources)
    _metadata(art, page, data, text, url, headers, rules)
    container, walk = _body(art, page, text, url, base, rules)
    blocks = art.body.split("\n\n") if art.body else []
    art.agency, art.agency_line, art.sources["agency"] = agency_mod.find_agency(
        page, rules, walk.credits, blocks
    )
    art.language, art.sources["language"] = language.find_language(
        root, data, headers, rules.language, " ".join(filter(None, (art.title, art.body)))
    )
    _image(art, page, data, container, base, rules)
    art.links = links.outlinks(
        walk.links + walk.related_links + _related_outside(page, base), art.url
    )
    if art.published_at is None and _small(page.root, text):
        guess = dates.htmldate_published(text, url)
        # htmldate reads the same meta tags; its guess must not be the modification date.
        if guess is not None and not (art.modified_at and guess.date() == art.modified_at.date()):
            art.published_at = guess
            art.sources["published_at"] = "htmldate"
    for name in [k for k, v in art.sources.items() if not v]:
        del art.sources[name]
    if not art.body:
        art.problems.append("no article body found")
    if not art.title:
        art.problems.append("no title found")


def _text(art: Article, html: bytes | str, headers: Mapping[str, str] | None) -> str | None:
    """The page as text (bytes decoded by their charset), or None with the reason recorded."""
    if isinstance(html, str):
        return html
    if not isinstance(html, bytes | bytearray | memoryview):
        art.problems.append(f"unsupported input type {type(html).__name__}")
        return None
    raw = bytes(html)
    if not raw.strip():
        art.problems.append("empty document")
        return None
    if reason := looks_binary(raw):
        art.problems.append(reason)
        return None
    text, art.sources["encoding"] = decode(raw, headers, art.problems)
    return text


def _metadata(
    art: Article,
    page: PageIndex,
    data: structured.Structured,
    text: str,
    url: str,
    headers: Mapping[str, str] | None,
    rules: SiteRules,
) -> None:
    """Title, category, tags, author, lead and dates, each with the source it came from."""
    sources, site_names = art.sources, data.site_names
    art.title, sources["title"] = fields.find_title(page, data, rules.title, site_names)
    art.category, sources["category"] = taxonomy.find_category(
        page, data, rules.category, art.title
    )
    art.tags, sources["tags"] = taxonomy.find_tags(page, data, rules.tags, art.category)
    art.author, sources["author"] = fields.find_author(page, data, rules.author, site_names)
    art.lead, sources["lead"] = fields.find_lead(page, data, rules.lead)
    art.published_at, art.modified_at = dates.find_dates(
        page,
        data,
        art.url or url,
        text,
        sources,
        tz=rules.tz() if rules.timezone else None,
        rules=(rules.date, rules.modified),
        last_modified=_http_date(header(headers, "last-modified")),
    )


def _image(
    art: Article,
    page: PageIndex,
    data: structured.Structured,
    container: etree._Element | None,
    base: str,
    rules: SiteRules,
) -> None:
    if rules.image and (hits := [h for s in rules.image for h in page.find(s)]):
        hit = hits[0]
        src = hit if isinstance(hit, str) else hit.get("src") or hit.get("content")
        art.image, art.sources["image"] = links.absolute(src, base), "rules"
    if not art.image:
        art.image, art.sources["image"] = fields.find_image(page, data, container, base)


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


def _http_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


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
