"""The article body: find the theme's content container, walk it once, drop hub boilerplate.

WordPress hub themes (JNews, tagDiv Newspaper, Jannah, GeneratePress, ...) put the article in a
known container, so the rule-based path is fast and precise; trafilatura is only the fallback
for pages where no known container holds enough text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from .dom import class_id, in_other_region, norm, select

# Theme-specific containers first, then generic class names, then semantic elements.
CONTAINER_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "[itemprop~=articleBody]",
        ".td-post-content",
        ".tdb_single_content .tdb-block-inner",
        ".jeg_inner_content .content-inner",
        ".entry-content .content-inner",
        ".entry-content",
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

_BLOCK = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table tr"
    " thead tbody tfoot center address hr details summary".split()
)
_PARA = frozenset("p h1 h2 h3 h4 h5 h6 li dt dd td th pre".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_SKIP_TAGS = frozenset(
    "script style noscript template form button input select textarea iframe svg canvas video"
    " audio object embed figure figcaption nav aside footer header label img picture map"
    " dialog meta link".split()
)
_HIDDEN = frozenset(
    "hidden d-none is-hidden sr-only screen-reader-text visually-hidden screen-reader".split()
)
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
_DROP_EXACT = frozenset(
    """advertisement|advertisment|advertising|ads|ad|sponsored|sponsored content
    |scroll to continue with content|leave a reply|leave a comment|leave a reply cancel reply
    |post a comment|add comment|back to top button|back to top|go to top|share this|share
    |share on|share this article|share this post|share on facebook|share on twitter|like this
    |loading|related|related posts|related articles|related news|related stories|read more
    |read also|also read|see also|you may also like|you might also like|more news|tags|tag
    |print|email|follow us|continue reading|comments|no comments|cancel reply|captcha"""
    .replace("\n", "").replace("    ", "").split("|")
)  # fmt: skip
_END_MARKER = re.compile(
    r"^(?:end\s+of\s+(?:the\s+)?(?:message|news|report|article|text)|انتهای\s+(?:پیام|خبر)"
    r"|/?\s*end\s*/?|\(end\)|-+\s*end\s*-+|ends)\s*[./]?$",
    re.I,
)
_DROP_PREFIX = re.compile(
    r"^(?:your email address will not be published|required fields are marked"
    r"|save my name, email|you must be logged in to post|this site uses akismet"
    r"|notify me of (?:follow-up|new posts)|all rights reserved|click to share on"
    r"|(?:©|copyright\b).{0,120}$)",
    re.I,
)
_CAPTCHA = re.compile(r"^[\w ]{1,25}[+\-−×x*÷][\w ]{1,25}=\s*\??$", re.I)
_LABEL = re.compile(r"^[–—-]\s*\S")


@dataclass
class Block:
    """One paragraph or heading as walked, with how much of it is link text."""

    text: str
    tag: str
    link_chars: int = 0
    links: list[str] = field(default_factory=list)

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))


@dataclass
class Walk:
    """The blocks of a container plus the links found in it and in related blocks."""

    blocks: list[Block] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    related_links: list[str] = field(default_factory=list)


def _score(el: etree._Element) -> int:
    paragraphs = sum(len((p.text_content() or "").strip()) for p in el.iter("p"))
    if paragraphs:
        return paragraphs
    return int(0.3 * len(norm(el.text_content())))


def find_container(
    root: etree._Element, selectors: Sequence[str] = ()
) -> tuple[etree._Element, str] | None:
    """The element holding the article text and the selector that found it, or None."""
    groups = [tuple(selectors)] if selectors else []
    groups.extend(CONTAINER_GROUPS)
    for group in groups:
        scored: list[tuple[int, int, etree._Element, str]] = []
        for selector in group:
            try:
                matches = select(root, selector)
            except (etree.XPathError, ValueError):
                continue
            for el in matches:
                if is_el(el) and not in_other_region(el):
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


def is_el(node: object) -> bool:
    return isinstance(getattr(node, "tag", None), str)


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
    from .urls import absolute

    out = Walk()
    buf: list[str] = []
    stack: list[str] = []
    state = {"link_chars": 0, "links": []}
    link_depth = 0
    skipped: etree._Element | None = None

    def add(text: str | None) -> None:
        if text:
            buf.append(text)
            if link_depth:
                state["link_chars"] += len(text.strip())

    def flush() -> None:
        text = norm("".join(buf))
        if text:
            out.blocks.append(
                Block(text, stack[-1] if stack else "div", state["link_chars"], state["links"])
            )
        buf.clear()
        state["link_chars"] = 0
        state["links"] = []

    walker = etree.iterwalk(container, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if el is not container and (reason := _skip_reason(el, removed)):
                if reason == "related":
                    out.related_links.extend(
                        u for a in el.iter("a") if (u := absolute(a.get("href"), base))
                    )
                skipped = el
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                flush()
                stack.append(tag)
            elif tag == "br":
                if stack and stack[-1] in _PARA:
                    buf.append(" ")
                else:
                    flush()
            elif tag == "a":
                link_depth += 1
                url = absolute(el.get("href"), base)
                if url:
                    out.links.append(url)
                    state["links"].append(url)
            elif tag in ("td", "th"):
                buf.append(" ")
            add(el.text)
        else:
            if el is skipped:
                skipped = None
            elif tag in _BLOCK:
                flush()
                if stack:
                    stack.pop()
            elif tag == "a":
                link_depth -= 1
            if el is not container:
                add(el.tail)
    flush()
    return out


def _key(text: str) -> str:
    return norm(text).casefold().strip(" :.!/|-–—•»«*")


def is_boilerplate_text(text: str) -> bool:
    """Lines hubs add around every article: ads, comment form, captcha, share prompts."""
    key = _key(text)
    if not key or key in _DROP_EXACT:
        return True
    if len(key) < 200 and (_DROP_PREFIX.match(key) or _CAPTCHA.match(key)):
        return True
    return False


def is_end_marker(text: str) -> bool:
    """Agency end-of-copy markers ("end of message/", "/end", "انتهای پیام/")."""
    return len(text) < 40 and bool(_END_MARKER.match(norm(text)))


def clean_blocks(
    blocks: list[Block], *, title: str | None, category: str | None, is_credit
) -> tuple[list[str], list[str], list[Block]]:
    """(body blocks, links of dropped related-headline blocks, credit blocks seen)."""
    kept: list[Block] = []
    related: list[str] = []
    credits: list[Block] = []
    title_key = _key(title or "")
    category_key = _key(category or "")
    for block in blocks:
        text = block.text
        key = _key(text)
        if is_end_marker(text):
            if kept:
                break
            continue
        if is_boilerplate_text(text):
            continue
        if is_credit(text):
            credits.append(block)
            continue
        if title_key and key == title_key and len(kept) < 3:
            continue
        words = len(text.split())
        if category_key and (key == category_key or key == f"{category_key} news"):
            continue
        if _LABEL.match(text) and words <= 6:
            continue
        if block.links and block.link_density >= 0.85 and words <= 25:
            related.extend(block.links)
            continue
        if kept and kept[-1].text == text:
            continue
        kept.append(block)
    return [b.text for b in kept], related, credits


def trafilatura_blocks(page: str, url: str) -> list[str]:
    """Paragraph and heading texts from trafilatura's tree (the fallback path)."""
    try:
        from trafilatura import bare_extraction

        doc = bare_extraction(
            page, url=url, include_comments=False, include_tables=True, with_metadata=False
        )
    except Exception:
        return []
    body = getattr(doc, "body", None)
    if body is None:
        return []
    blocks: list[str] = []
    for el in body.iter("p", "head", "item", "quote", "row", "cell"):
        if el.tag == "cell" or (el.tag == "quote" and len(el)):
            continue
        text = norm(el.text_content() if el.tag != "row" else " ".join(el.itertext()))
        if text:
            blocks.append(text)
    return blocks


def paragraph_container(root: etree._Element) -> etree._Element | None:
    """Last resort: the parent of the most paragraph text."""
    totals: dict[etree._Element, int] = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is not None and not in_other_region(parent):
            totals[parent] = totals.get(parent, 0) + len((p.text_content() or "").strip())
    if not totals:
        return None
    best = max(totals, key=totals.__getitem__)
    return best if totals[best] >= MIN_SCORE else None
