"""Parsing and small tree helpers shared by the field extractors.

Everything here works iteratively (lxml's C iterators) so hostile nesting cannot blow the Python
stack, and selectors are compiled once per process and cached.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.etree import XPath

# Work caps: a page beyond these is cut and the cut is recorded as a problem.
MAX_CHARS = 5 * 1024 * 1024

_ZERO_WIDTH = re.compile("[\u200b\ufeff\u00ad\u2060]")
# C0 controls other than tab/newline/carriage return make libxml2 (and lxml's str input) choke.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)


def norm(text: str | None) -> str:
    """Collapse whitespace (incl. NBSP) to single spaces; drop zero-width junk; keep ZWNJ."""
    if not text:
        return ""
    return " ".join(_ZERO_WIDTH.sub("", text).split())


def is_element(node: object) -> bool:
    """True for real elements (lxml also yields comments and processing instructions)."""
    return isinstance(getattr(node, "tag", None), str)


def parse(text: str, problems: list[str]) -> etree._Element | None:
    """Parse a decoded page once; None when nothing usable remains (reason in problems)."""
    if len(text) > MAX_CHARS:
        problems.append(f"input cut to the first {MAX_CHARS} of {len(text)} characters")
        text = text[:MAX_CHARS]
    text = _CONTROL.sub("", _XML_DECL.sub("", text, count=1))
    if not text.strip():
        problems.append("empty document")
        return None
    # Plain etree elements: lxml.html's Python-level class lookup costs ~5 ms on a hub page.
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, default_doctype=False)
    try:
        root = etree.fromstring(text, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        problems.append(f"unparseable HTML: {exc}")
        return None
    if root is None:
        problems.append("no HTML elements in document")
        return None
    for entry in parser.error_log:
        if "Excessive depth" in entry.message:
            problems.append("nesting too deep: page parsed only down to depth 256")
            break
    return root


def text_of(el: etree._Element) -> str:
    """All text under an element (lxml.html's text_content() for plain elements)."""
    return str(xpath("string()")(el))


def body_of(root: etree._Element) -> etree._Element:
    """The <body>, or the root itself for documents without one."""
    found = root.find("body")
    return found if found is not None else root


@functools.cache
def xpath(expr: str) -> XPath:
    """A compiled XPath (compiled lazily, once)."""
    return XPath(expr)


@functools.cache
def css(expr: str) -> XPath:
    """A compiled CSS selector (via cssselect's HTML translator)."""
    return CSSSelector(expr, translator="html")


def select(root: etree._Element, spec: str) -> list:
    """Matches of "css:…", "xpath:…" or a bare CSS selector."""
    if spec.startswith("xpath:"):
        return xpath(spec[6:])(root)
    return css(spec.removeprefix("css:"))(root)


def first_text(root: etree._Element, selector: XPath) -> str:
    """Normalized text of the first non-empty match (attribute or element)."""
    for hit in selector(root):
        value = norm(hit if isinstance(hit, str) else text_of(hit))
        if value:
            return value
    return ""


def class_id(el: etree._Element) -> str:
    """Lower-cased class and id attributes, for the class-pattern tests."""
    cls = el.get("class")
    ident = el.get("id")
    if cls is None and ident is None:
        return ""
    return f"{cls or ''} {ident or ''}".lower()


# Class/id tokens of page regions that never hold the article itself.
_REGION = re.compile(
    r"(?:^|[\s_-])(?:comments?|respond|related|relatedposts|yarpp|crp|sidebar|widget|widgets"
    r"|menu|site-footer|colophon|site-header|navbar|popular|trending|most-read|recommended"
    r"|breadcrumbs?|pagination|jeg_footer|td-footer|wp-block-query)(?:$|[\s_-])"
)
_REGION_TAGS = frozenset({"aside", "nav", "form"})


def in_other_region(el: etree._Element, stop: etree._Element | None = None) -> bool:
    """True when the element sits inside comments, related posts, a sidebar, nav or footer."""
    node = el
    while node is not None and node is not stop:
        tag = node.tag
        if tag in _REGION_TAGS:
            return True
        if tag in ("body", "html"):
            return False
        if tag not in ("article", "main") and _region_marked(node.get("class"), node.get("id")):
            return True
        node = node.getparent()
    return False


@functools.lru_cache(maxsize=4096)
def _region_marked(cls: str | None, ident: str | None) -> bool:
    """Whether class and id name another region; remembered, as a page's elements share a few
    class strings (the walk up from every candidate asked again and again: 0.27 ms a page)."""
    if cls is None and ident is None:
        return False
    return _REGION.search(f"{cls or ''} {ident or ''}".lower()) is not None


def iter_text_nodes(
    root: etree._Element, needles: tuple[str, ...] = ()
) -> Iterator[tuple[str, etree._Element]]:
    """(text, element the text belongs to) for text nodes outside script/style, in document
    order; with needles, only nodes containing one of them (case-sensitive substrings).

    The needles are matched by one regular expression in Python: libxml2's `contains()`
    copies a node's text once per needle, which took 2.5 times as long (0.32 ms a page).
    """
    wanted = _any_of(needles).search if needles else None
    for node in xpath("//body//text()")(root):
        if wanted is not None and wanted(node) is None:
            continue
        parent = node.getparent()
        if parent is None:
            continue
        owner = parent.getparent() if node.is_tail else parent
        if owner is None or owner.tag in ("script", "style", "noscript", "template"):
            continue
        yield str(node), owner


@functools.lru_cache(maxsize=16)
def _any_of(needles: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, needles)))
