"""A per-page index of classes, ids and attribute tokens, with a tiny selector matcher.

The built-in theme selectors (".jeg_meta_category a", "a[rel~=tag]:not([rel~=category])", ...)
run dozens of times per page; as XPath each one is a full scan of the tree with string building
(~0.5 ms on a real hub page). One Python pass that indexes class/id/rel/itemprop tokens makes
them dictionary look-ups. Site rules keep using full CSS/XPath (`dom.select`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from .dom import in_other_region, norm, text_of

_INDEXED = ("rel", "itemprop", "role")
# Real hub pages have a few thousand; a pathological page is indexed only this far.
MAX_INDEXED = 50_000
_ATTRIBUTED = etree.XPath("//*[@class or @id or @rel or @itemprop or @role or self::h1]")
_COMPOUND = re.compile(
    r"(?P<tag>[a-z0-9*]+)|\.(?P<cls>[\w-]+)|#(?P<id>[\w-]+)"
    r"|\[(?P<attr>[\w-]+)(?:(?P<op>~?=)(?P<val>[\w-]+))?\]|:not\(\[(?P<nattr>[\w-]+)~=(?P<nval>[\w-]+)\]\)"
)


@dataclass(frozen=True)
class Compound:
    """One compound selector: tag, classes, id and attribute tests."""

    tag: str | None
    classes: tuple[str, ...]
    ident: str | None
    attrs: tuple[tuple[str, str, str], ...]  # (name, op, value); op "", "=" or "~="
    nots: tuple[tuple[str, str], ...]  # :not([name~=value])

    def matches(self, el: etree._Element) -> bool:
        if self.tag and el.tag != self.tag:
            return False
        if self.classes:
            have = (el.get("class") or "").split()
            if any(c not in have for c in self.classes):
                return False
        if self.ident and el.get("id") != self.ident:
            return False
        for name, op, value in self.attrs:
            raw = el.get(name)
            if raw is None:
                return False
            if (op == "=" and raw != value) or (op == "~=" and value not in raw.split()):
                return False
        return not any(value in (el.get(name) or "").split() for name, value in self.nots)


@functools.cache
def parse_selector(text: str) -> tuple[Compound, ...]:
    """A descendant chain of compounds; ValueError for anything the matcher cannot do."""
    chain = []
    for part in text.split():
        tag, classes, ident, attrs, nots = None, [], None, [], []
        pos = 0
        while pos < len(part):
            match = _COMPOUND.match(part, pos)
            if not match or match.end() == pos:
                raise ValueError(f"unsupported selector {text!r}")
            pos = match.end()
            if match["tag"]:
                tag = None if match["tag"] == "*" else match["tag"]
            elif match["cls"]:
                classes.append(match["cls"])
            elif match["id"]:
                ident = match["id"]
            elif match["attr"]:
                attrs.append((match["attr"], match["op"] or "", match["val"] or ""))
            elif match["nattr"]:
                nots.append((match["nattr"], match["nval"]))
        chain.append(Compound(tag, tuple(classes), ident, tuple(attrs), tuple(nots)))
    return tuple(chain)


class PageIndex:
    """Class, id and rel/itemprop/role tokens of every element, in document order."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.by_class: dict[str, list[etree._Element]] = {}
        self.by_id: dict[str, list[etree._Element]] = {}
        self.by_attr: dict[tuple[str, str], list[etree._Element]] = {}
        self.marked: list[etree._Element] = []  # elements with a class or an id
        self.position: dict[etree._Element, int] = {}  # document order of marked elements
        self.first_h1 = -1
        # libxml2 picks the few elements that carry these attributes; positions are relative
        # document order, which is all the callers compare.
        attributed = _ATTRIBUTED(root)
        self.truncated = len(attributed) > MAX_INDEXED
        for pos, el in enumerate(attributed[:MAX_INDEXED]):
            if el.tag == "h1" and self.first_h1 < 0:
                self.first_h1 = pos
            cls = el.get("class")
            ident = el.get("id")
            if cls is not None or ident is not None:
                self.marked.append(el)
                self.position[el] = pos
                if cls:
                    for token in cls.split():
                        self.by_class.setdefault(token, []).append(el)
                if ident:
                    self.by_id.setdefault(ident, []).append(el)
            for name in _INDEXED:
                value = el.get(name)
                if value:
                    for token in value.split():
                        self.by_attr.setdefault((name, token), []).append(el)

    def _candidates(self, last: Compound) -> list[etree._Element]:
        if last.ident:
            return self.by_id.get(last.ident, [])
        if last.classes:
            return min((self.by_class.get(c, []) for c in last.classes), key=len)
        for name, op, value in last.attrs:
            if name in _INDEXED and op == "~=":
                return self.by_attr.get((name, value), [])
        return list(self.root.iter(last.tag or etree.Element))

    def find(self, spec: str) -> list:
        """Rule specs ("css:…"/"xpath:…") go to lxml; built-in bare selectors to the index."""
        if spec.startswith(("css:", "xpath:")):
            from .dom import select

            return select(self.root, spec)
        return self.select(spec)

    def select(self, selector: str) -> list[etree._Element]:
        """Elements matching a simple descendant selector, in document order."""
        chain = parse_selector(selector)
        last, ancestors = chain[-1], chain[:-1]
        if not ancestors:
            return [el for el in self._candidates(last) if last.matches(el)]
        if len(ancestors) == 1 and not chain[-1].classes and chain[-1].tag and not last.ident:
            # ".box a": search under each box rather than testing every <a> on the page.
            out: list[etree._Element] = []
            seen: set[etree._Element] = set()
            for box in self.select(selector.rsplit(None, 1)[0]):
                for el in box.iter(last.tag):
                    if el is not box and el not in seen and last.matches(el):
                        seen.add(el)
                        out.append(el)
            return out
        return [
            el for el in self._candidates(last) if last.matches(el) and _has_chain(el, ancestors)
        ]


def _has_chain(el: etree._Element, ancestors: tuple[Compound, ...]) -> bool:
    want = len(ancestors) - 1
    for node in el.iterancestors():
        if ancestors[want].matches(node):
            want -= 1
            if want < 0:
                return True
    return False


def elements(page: PageIndex, selectors: Sequence[str]) -> list[etree._Element]:
    found: list[etree._Element] = []
    for selector in selectors:
        try:
            found.extend(el for el in page.find(selector) if isinstance(el, etree._Element))
        except (etree.XPathError, ValueError, TypeError):
            continue
    return found


def texts(page: PageIndex, selectors: Sequence[str], anywhere: bool = False) -> list[str]:
    """Normalized texts of matches outside comments, related posts and sidebars."""
    out = []
    for selector in selectors:
        try:
            hits = page.find(selector)
        except (etree.XPathError, ValueError, TypeError):
            continue
        for hit in hits:
            if isinstance(hit, str):
                out.append(norm(hit))
            elif isinstance(hit, etree._Element) and (anywhere or not in_other_region(hit)):
                out.append(norm(hit.get("content") or text_of(hit)))
    return [t for t in out if t]
