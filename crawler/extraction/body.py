"""The article body: find the theme's content container and walk it once into blocks.

WordPress hub themes (JNews, tagDiv Newspaper, Jannah, GeneratePress, ...) put the article in a
known container, so the rule-based path is fast and precise; trafilatura is only the fallback
for pages where no known container holds enough text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from .blocks import Block
from .dom import class_id, in_other_region, is_element, norm, text_of
from .index import PageIndex

# Theme-specific containers first, then generic class names, then semantic elements.
CONTAINER_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "[itemprop~=articleBody]",
        ".td-post-content",
        ".tdb_single_content .tdb-block-inner",
        ".jeg_inner_content .content-inner",
        ".entry-content .content-inner",
        ".entry-content",
        ".wp-block-post-content",
    ),
    (
        ".post-content", ".article-content", ".article-body", ".post-body", ".story-body",
        ".single-content", ".entry-body", ".content-body", ".news-content", ".post-entry",
        ".the-content", ".article-text", ".news-text", ".entry", "#article-body",
        "[itemprop~=text]",
    ),
    ("article", "main", "[role=main]"),
)  # fmt: skip
MIN_SCORE = 80


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCK = _names(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table tr"
    " thead tbody tfoot center address hr details summary"
)
_PARA = _names("p h1 h2 h3 h4 h5 h6 li dt dd td th pre")
_SKIP_TAGS = _names(
    "script style noscript template form button input select textarea iframe svg canvas video"
    " audio object embed figure figcaption nav aside footer header label img picture map"
    " dialog meta link"
)
_HIDDEN = _names("hidden d-none is-hidden sr-only screen-reader-text visually-hidden screen-reader")
_RELATED = re.compile(
    r"(?:^|[\s_-])(?:related|relatedposts|yarpp\w*|crp_related|read-?more|also-read|see-also"
    r"|more-news|more-stories)(?:$|[\s_-])"
)
_BOILER = re.compile(
    r"(?:^|[\s_-])(?:share|shares|sharing|sharedaddy|social|socials|addtoany|a2a\w*|heateor\w*"
    r"|essb\w*|sharethis|comments?|respond|ads?|advert\w*|adsbygoogle|ad-?slot|sponsor\w*"
    r"|promo\w*|banner|a-rec|code-block|stream-item|author-?box|authorbox|about-author"
    r"|author-bio|author-info|author-card|newsletter|subscribe|subscription|mc4wp|breadcrumbs?"
    r"|crumbs?|pagination|page-links|nav-links|post-navigation|prev-next|next-prev|navigation"
    r"|wp-caption|wp-caption-text|caption|tags|tag-links|tags-links|tagcloud|bottom-meta"
    r"|post-meta|entry-meta|meta-info|ratings?|post-views|reading-time|toc|ez-toc\w*"
    r"|twitter-tweet|instagram-media|tiktok-embed|wp-block-buttons|printfriendly|widget"
    r"|sidebar|subtitle|sub-title|excerpt|standfirst)(?:$|[\s_-])"
)


@dataclass
class Walk:
    """The blocks of a container plus the links found in it and in related blocks."""

    blocks: list[Block] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    related_links: list[str] = field(default_factory=list)


def _score(el: etree._Element) -> int:
    paragraphs = sum(len((text_of(p) or "").strip()) for p in el.iter("p"))
    if paragraphs:
        return paragraphs
    return int(0.3 * len(norm(text_of(el))))


def find_container(
    page: PageIndex, selectors: Sequence[str] = ()
) -> tuple[etree._Element, str] | None:
    """The element holding the article text and the selector that found it, or None."""
    groups = [tuple(selectors)] if selectors else []
    groups.extend(CONTAINER_GROUPS)
    for group in groups:
        scored: list[tuple[int, int, etree._Element, str]] = []
        for selector in group:
            try:
                matches = page.find(selector)
            except (etree.XPathError, ValueError):
                continue
            for el in matches:
                if is_element(el) and not in_other_region(el):
                    scored.append((_score(el), len(scored), el, selector))
        if not scored:
            continue
        score, _, el, selector = max(scored, key=lambda s: (s[0], -s[1]))
        if score < MIN_SCORE and not (selectors and group is groups[0] and score):
            continue
        # Prefer a tighter container nested in the best one that holds most of its text.
        tight = (el, selector)
        for inner_score, _, inner, inner_selector in sorted(scored, key=lambda s: _depth(s[2])):
            if inner_score >= 0.8 * score and _inside(inner, tight[0]):
                tight = (inner, inner_selector)
        return tight
    return None


def _depth(el: etree._Element) -> int:
    return sum(1 for _ in el.iterancestors())


def _inside(el: etree._Element, outer: etree._Element) -> bool:
    return any(a is outer for a in el.iterancestors())


def _skip_reason(el: etree._Element, removed: set[etree._Element]) -> str | None:
    tag = el.tag
    if tag in _SKIP_TAGS:
        return "tag"
    if el in removed:
        return "rules"
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return "hidden"
    style = el.get("style")
    if style and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I):
        return "hidden"
    attrs = class_id(el)
    if not attrs:
        return None
    if _RELATED.search(attrs):
        return "related"
    if _HIDDEN.intersection(attrs.split()):
        return "hidden"
    if _BOILER.search(attrs):
        return "boilerplate"
    return None


def walk(container: etree._Element, base: str, removed: set[etree._Element]) -> Walk:
    """Split a container into text blocks in reading order, skipping boilerplate subtrees."""
    walker = _Walker(container, base, removed)
    events = etree.iterwalk(container, events=("start", "end"))
    for event, el in events:
        if not isinstance(el.tag, str):
            continue
        if event == "start":
            if walker.start(el):
                events.skip_subtree()
        else:
            walker.end(el)
    walker.flush()
    return walker.out


class _Walker:
    """The state of one walk: the block being collected, open block tags, link nesting."""

    def __init__(self, container: etree._Element, base: str, removed: set[etree._Element]):
        self.container, self.base, self.removed = container, base, removed
        self.out = Walk()
        self.buf: list[str] = []
        self.stack: list[str] = []
        self.pending = Block("", "")  # link text and links of the block being collected
        self.link_depth = 0
        self.skipped: etree._Element | None = None

    def add(self, text: str | None) -> None:
        if text:
            self.buf.append(text)
            if self.link_depth:
                self.pending.link_chars += len(text.strip())

    def flush(self) -> None:
        text = norm("".join(self.buf))
        if text:
            tag = self.stack[-1] if self.stack else "div"
            self.out.blocks.append(Block(text, tag, self.pending.link_chars, self.pending.links))
        self.buf.clear()
        self.pending = Block("", "")

    def start(self, el: etree._Element) -> bool:
        """Open an element; True when its subtree is boilerplate and must be skipped."""
        from .links import absolute

        tag = el.tag
        if el is not self.container and (reason := _skip_reason(el, self.removed)):
            if reason == "related":
                self.out.related_links.extend(
                    u for a in el.iter("a") if (u := absolute(a.get("href"), self.base))
                )
            self.skipped = el
            return True
        if tag in _BLOCK:
            self.flush()
            self.stack.append(tag)
        elif tag == "br":
            if self.stack and self.stack[-1] in _PARA:
                self.buf.append(" ")
            else:
                self.flush()
        elif tag == "a":
            self.link_depth += 1
            if url := absolute(el.get("href"), self.base):
                self.out.links.append(url)
                self.pending.links.append(url)
        elif tag in ("td", "th"):
            self.buf.append(" ")
        self.add(el.text)
        return False

    def end(self, el: etree._Element) -> None:
        if el is self.skipped:
            self.skipped = None
        elif el.tag in _BLOCK:
            self.flush()
            if self.stack:
                self.stack.pop()
        elif el.tag == "a":
            self.link_depth -= 1
        if el is not self.container:
            self.add(el.tail)


def is_related(token: str) -> bool:
    """A class/id token of a related-posts block."""
    return bool(_RELATED.search(token.lower()))


def paragraph_container(root: etree._Element) -> etree._Element | None:
    """Last resort: the parent of the most paragraph text."""
    totals: dict[etree._Element, int] = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is not None and not in_other_region(parent):
            totals[parent] = totals.get(parent, 0) + len((text_of(p) or "").strip())
    if totals:
        best = max(totals, key=totals.__getitem__)
        if totals[best] >= MIN_SCORE:
            return best
    # Loose text straight in <body> (plain-text pages served as HTML).
    direct = len(norm(" ".join(t for t in [root.text, *(c.tail for c in root)] if t)))
    return root if direct >= MIN_SCORE else None
