"""Which news agency a hub credits for an article.

Hubs republish (often machine-translate) agency copy and say so in a credit line ("… has
translated this news from the source of Tasnim News Agency", "Source: IRNA"). That explicit line
wins; otherwise the first in-body "according to / quoting X news agency" mention names the
agency. Names are normalized against a small list so "Tasnim news agency" == "Tasnim News Agency".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from lxml import etree

from .dom import in_other_region, iter_text_nodes, norm, text_of
from .index import PageIndex
from .rules import SiteRules

_KNOWN = {
    "Tasnim News Agency": "tasnim|tasnim news|tasnim news agency|tasnimnews|خبرگزاری تسنیم|تسنیم",
    "IRNA": "irna|irna news agency|islamic republic news agency|ایرنا|خبرگزاری جمهوری اسلامی",
    "Mehr News Agency": "mehr|mehr news|mehr news agency|mehrnews|خبرگزاری مهر",
    "Fars News Agency": "fars|fars news|fars news agency|farsnews|خبرگزاری فارس",
    "ISNA": "isna|isna news agency|iranian students news agency|iranian students' news agency"
    "|ایسنا",
    "ILNA": "ilna|iranian labour news agency|ایلنا",
    "IRIB News": "irib|irib news|irib news agency",
    "Press TV": "press tv|presstv",
    "Reuters": "reuters|thomson reuters",
    "AFP": "afp|agence france-presse|agence france presse|france-presse|france presse",
    "AP": "ap|associated press|the associated press",
    "Xinhua": "xinhua|xinhua news agency",
    "TASS": "tass|itar-tass|tass news agency",
    "RIA Novosti": "ria novosti|novosti|ria|novosti news agency|ria novosti news agency",
    "Sputnik": "sputnik|sputnik news",
    "Anadolu Agency": "anadolu|anadolu agency|anadolu news agency|aa",
    "Al Jazeera": "al jazeera|aljazeera",
    "Yonhap": "yonhap|yonhap news agency",
    "KCNA": "kcna|korean central news agency",
    "SANA": "sana|syrian arab news agency",
    "Kyodo News": "kyodo|kyodo news",
    "dpa": "dpa|deutsche presse-agentur",
    "EFE": "efe",
    "ANSA": "ansa",
    "Bloomberg": "bloomberg",
}
_ARABIC_TO_PERSIAN = str.maketrans("يكة", "یکه")
_ALIASES = {a: name for name, aliases in _KNOWN.items() for a in aliases.split("|")}
# Short acronyms only count in upper case ("AP", not "ap" inside a sentence).
_ACRONYMS = {a for a in _ALIASES if len(a) <= 4 and a.isascii()}

_CREDIT = [
    re.compile(
        r"translated\s+(?:this|the)\s+(?:news|article|report|story|text|content|piece)\s+from"
        r"\s+(?:the\s+)?(?:(?:source|website|site)\s+of\s+)?(?:the\s+)?(?P<name>[^.;|]{2,80})",
        re.I,
    ),
    re.compile(
        r"(?:reported|published|republished|wrote)\s+(?:this|the)\s+(?:news|article|report|story)"
        r"\s+(?:quoting|citing|from)\s+(?:the\s+)?(?P<name>[^.;|]{2,80})",
        re.I,
    ),
    re.compile(r"^(?:news\s+)?(?:source|sources|منبع|المصدر)\s*[:：]\s*(?P<name>.{2,80})$", re.I),
    re.compile(
        r"originally\s+(?:published|appeared)\s+(?:by|in|on|at)\s+(?:the\s+)?(?P<name>[^.;|]{2,80})",
        re.I,
    ),
    re.compile(r"^(?:courtesy(?:\s+of)?|via)\s*[:：]?\s+(?P<name>.{2,80})$", re.I),
    re.compile(r"از\s+منبع\s+(?P<name>.{2,60}?)\s+(?:ترجمه|بازنشر|منتشر)"),
]
_CREDIT_KEY = re.compile(
    r"translated|source|originally|courtesy|via|quoting|citing|منبع|المصدر", re.I
)
# Substrings (case-sensitive, for libxml2) that any credit line contains.
_NEEDLES = (
    "ranslat", "ource", "OURCE", "riginally", "ourtesy", "ia ", "ia:", "uoting", "iting",
    "منبع", "المصدر",
)  # fmt: skip
_MENTION = re.compile(
    r"\b(?:according\s+to|quoting|citing|as\s+reported\s+by|reported\s+by|به\s+گزارش)\b", re.I
)
_GENERIC = re.compile(r"((?:[A-Z][\w'’&.-]*\s+){1,4})(?i:news\s+agency)\b")


@functools.cache
def _alias_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    words = sorted((a for a in _ALIASES if a not in _ACRONYMS), key=len, reverse=True)
    loose = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)
    upper = sorted((a.upper() for a in _ACRONYMS), key=len, reverse=True)
    strict = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, upper)) + r")(?![\w-])")
    return loose, strict


def normalize(name: str) -> str:
    """The canonical spelling of a known agency, else the cleaned name as written."""
    name = norm(name).strip(" \t©\"'“”«»()[]:-–—,.")
    name = re.sub(r"^(?:the|©)\s+", "", name, flags=re.I)
    name = re.sub(r"\s+(?:website|web\s*site|site)$", "", name, flags=re.I)
    key = name.casefold().replace("’", "'").translate(_ARABIC_TO_PERSIAN)
    if key in _ALIASES:
        return _ALIASES[key]
    return name


def credit_match(line: str) -> str | None:
    """The agency named by an explicit credit line, or None."""
    words = len(line.split())
    # Credit lines are short; a long paragraph that mentions a source is article text.
    if len(line) > 300 or words > 30 or not _CREDIT_KEY.search(line):
        return None
    for pattern in _CREDIT:
        match = pattern.search(line)
        if match and (pattern is not _CREDIT[-2] or words <= 8):
            name = normalize(match.group("name"))
            if name and len(name.split()) <= 8:
                return name
    return None


def find_credit(root: etree._Element) -> tuple[str, str] | None:
    """(agency, raw line) from the first explicit credit line outside comments and sidebars."""
    seen: set[int] = set()
    for text, owner in iter_text_nodes(root, _NEEDLES):
        if not _CREDIT_KEY.search(text):
            continue
        block = owner
        while block.tag in _INLINE and block.getparent() is not None:
            block = block.getparent()
        if id(block) in seen:
            continue
        seen.add(id(block))
        line = norm(text_of(block))
        name = credit_match(line)
        if name and not in_other_region(block):
            return name, line
    return None


_INLINE = frozenset({"a", "b", "strong", "em", "i", "span", "small", "font", "u", "sup", "sub"})


# Themes with a "source" box: tagDiv's `ul.td-source`, and common plugin markup.
_SOURCE_BOXES = (
    ".td-source a", ".post-source a", ".news-source a", ".source-link a", ".jeg_post_source a",
)  # fmt: skip


def find_source_box(page: PageIndex) -> tuple[str, str] | None:
    """(agency, box text) from a theme's source box such as tagDiv's "SOURCE | IRNA"."""
    for selector in _SOURCE_BOXES:
        for link in page.select(selector):
            name = normalize(text_of(link))
            if name and not in_other_region(link):
                box = link.getparent()
                while box is not None and box.tag in _INLINE | {"li"}:
                    box = box.getparent()
                return name, norm(text_of(box if box is not None else link))
    return None


def find_mention(blocks: Iterable[str]) -> tuple[str, str] | None:
    """(agency, sentence) from an in-body "according to … X news agency" style mention."""
    loose, strict = _alias_patterns()
    for block in blocks:
        trigger = _MENTION.search(block)
        if not trigger:
            continue
        window = block[trigger.end() : trigger.end() + 240]
        hits = [m for m in (loose.search(window), strict.search(window)) if m]
        if hits:
            first = min(hits, key=lambda m: m.start())
            return normalize(first.group(0)), block
        generic = _GENERIC.search(window)
        if generic:
            return normalize(generic.group(1).strip() + " News Agency"), block
    return None


def _first_credit(lines: list[str]) -> tuple[str, str] | None:
    for line in lines:
        if name := credit_match(line):
            return name, line
    return None


def _rule_agency(page: PageIndex, rules: SiteRules) -> tuple[str, str] | None:
    for spec in rules.agency:
        for hit in page.find(spec):
            line = norm(hit if isinstance(hit, str) else text_of(hit))
            if line:
                name = credit_match(line)
                return name or normalize(re.sub(r"^[^:：]{1,20}[:：]\s*", "", line)), line
    return None


def find_agency(
    page: PageIndex, rules: SiteRules, credits: list[str], blocks: list[str]
) -> tuple[str | None, str | None, str]:
    """(agency, the line crediting it, where it was found): rules, credit lines, source boxes,
    then a mention in the body's first or last paragraphs."""
    for source, find in (
        ("rules", lambda: _rule_agency(page, rules)),
        ("credit-line", lambda: find_credit(page.root)),
        ("credit-line", lambda: _first_credit(credits)),
        ("source-box", lambda: find_source_box(page)),
        ("body-mention", lambda: find_mention(blocks[:2] + blocks[-1:])),
    ):
        credit = find()
        if credit and credit[0]:
            return credit[0], credit[1], source
    return None, None, ""
