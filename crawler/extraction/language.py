"""Page language: declared (<html lang>, Content-Language, og:locale) or a cheap guess.

The guess only has to separate the languages hubs publish in; script ranges settle most of them
and a stop-word count settles the Latin-script ones. No model, no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lxml import etree

from .decode import header

if TYPE_CHECKING:
    from .structured import Structured

_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
_STOPWORDS = {
    "en": "the and of to in is that for was with on said by from",
    "fr": "le la les des et est une dans pour que qui sur au du",
    "de": "der die und das ist den nicht mit ein eine zu von im",
    "es": "el los las del y que en una por con para se es",
    "it": "il di che della per una sono nel con del gli le",
    "pt": "o os do da que não uma com para em dos das no",
    "nl": "de het een van en dat niet met voor zijn op",
    "tr": "ve bir bu için ile da de olarak çok daha",
    "id": "yang dan di dengan untuk dari ini itu dalam pada",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_PERSIAN = re.compile(r"[پچژگکی]")
_SCRIPTS = (
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0370-\u03ff]"), "el"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
)


def primary(tag: str | None) -> str | None:
    """ "en-US" / "fa_IR" / "EN" -> "en"; None for junk."""
    if not tag:
        return None
    match = _TAG.match(tag.split(",")[0])
    if not match:
        return None
    code = match.group(1).lower()
    return None if code in ("und", "mul", "zxx", "xx") else code


def detect(text: str) -> str | None:
    """A best guess from the first few thousand characters, or None for too little text."""
    sample = text[:4000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < 20:
        return None
    for pattern, lang in _SCRIPTS:
        if len(pattern.findall(sample)) > letters * 0.3:
            if lang == "ar" and len(_PERSIAN.findall(sample)) > letters * 0.01:
                return "fa"
            return lang
    words = Counter(re.findall(r"[^\W\d_]+", sample.lower()))
    scores = {lang: sum(words[w] for w in stop) for lang, stop in _WORDS.items()}
    lang, score = max(scores.items(), key=lambda kv: kv[1])
    return lang if score >= 3 else None


def _declared_language(
    root: etree._Element, data: Structured, headers: Mapping[str, str] | None
) -> str | None:
    for value in (
        root.get("lang"),
        root.get("xml:lang"),
        header(headers, "content-language"),
        data.first_meta("og:locale", "content-language", "language", "dc.language"),
    ):
        if primary(value):
            return value
    return None


def find_language(
    root: etree._Element,
    data: Structured,
    headers: Mapping[str, str] | None,
    configured: str | None,
    text: str,
) -> tuple[str | None, str]:
    """(language, 'declared' or 'detected'): the configured or declared tag, else detection."""
    declared = configured or _declared_language(root, data, headers)
    if code := (primary(declared) if declared else None):
        return code, "declared"
    code = detect(text)
    return code, "detected" if code else ""
