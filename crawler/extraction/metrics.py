"""Scoring an extractor against ground truth: body F1 on word shingles, exact match per field.

Shared by the extraction tests and the benchmark so both report the same numbers. Shingles are
word 4-grams over the whole body (case-folded, punctuation ignored), counted as a multiset so
duplicated or missing paragraphs both cost.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from crawler.extraction.article import CONTENT_FIELDS

# Fields scored by exact match: the content fields but the texts (body is scored by F1).
FIELDS = tuple(name for name in CONTENT_FIELDS if name not in ("lead", "body"))
_WORD = re.compile(r"\w+")


def words(text: str | None) -> list[str]:
    """Case-folded word tokens (NFKC, so typographic variants compare equal)."""
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str | None, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of word n-grams; a text shorter than n words is one shingle."""
    tokens = words(text)
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def shingle_prf(predicted: str | None, truth: str | None, n: int = 4) -> tuple[float, float, float]:
    """(precision, recall, F1) of predicted against true text; both empty counts as perfect."""
    pred, gold = shingles(predicted, n), shingles(truth, n)
    if not pred and not gold:
        return 1.0, 1.0, 1.0
    if not pred or not gold:
        return 0.0, 0.0, 0.0
    overlap = sum((pred & gold).values())
    precision = overlap / sum(pred.values())
    recall = overlap / sum(gold.values())
    f1 = 0.0 if overlap == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def shingle_f1(predicted: str | None, truth: str | None, n: int = 4) -> float:
    """F1 of one page's body."""
    return shingle_prf(predicted, truth, n)[2]


def mean_f1(pairs: Iterable[tuple[str | None, str | None]], n: int = 4) -> float:
    """Per-page shingle F1 averaged over pages (each page weighs the same)."""
    scores = [shingle_f1(p, t, n) for p, t in pairs]
    return sum(scores) / len(scores) if scores else 0.0


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).split()) or None
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.timestamp()
    return value


def exact_match(predicted: Any, truth: Any) -> bool:
    """Equality after whitespace/Unicode normalization; datetimes compare as instants."""
    return _normal(predicted) == _normal(truth)


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


def field_accuracy(
    predicted: Sequence[Any], truth: Sequence[Any], fields: Sequence[str] = FIELDS
) -> dict[str, float]:
    """Share of pages whose field equals the truth exactly, per field."""
    if len(predicted) != len(truth):
        raise ValueError("predicted and truth must have the same length")
    total = max(1, len(truth))
    return {
        name: sum(
            exact_match(_get(p, name), _get(t, name)) for p, t in zip(predicted, truth, strict=True)
        )
        / total
        for name in fields
    }


def mismatches(
    predicted: Sequence[Any], truth: Sequence[Any], name: str, limit: int = 5
) -> list[tuple[Any, Any]]:
    """A few (predicted, true) pairs that differ, for failure messages."""
    out = []
    for p, t in zip(predicted, truth, strict=True):
        if not exact_match(_get(p, name), _get(t, name)):
            out.append((_get(p, name), _get(t, name)))
            if len(out) >= limit:
                break
    return out


def trafilatura_body(html: bytes | str, url: str) -> str | None:
    """Trafilatura alone (its defaults, no comments), paragraphs joined like our body."""
    import trafilatura  # a hard dependency: a broken install fails the benchmark loudly

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True)
    if not text:
        return None
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
