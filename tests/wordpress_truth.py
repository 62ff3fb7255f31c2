"""Compare what newshub stored with the posts seeded into the real WordPress, field by field."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

FIELDS = ("title", "body", "published", "author", "category", "tags", "agency")
_WORD = re.compile(r"\w+", re.UNICODE)


# wptexturize() curls quotes and dashes in what WordPress prints: the same text for the reader.
_TEXTURIZED = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFC", text or "").translate(_TEXTURIZED)
    return " ".join(text.split()).casefold()


def _words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(_norm(text)))


def body_overlap(stored: str | None, paragraphs: Iterable[str]) -> tuple[float, float]:
    """(recall, precision) of the stored body's words against the seeded paragraphs."""
    truth, got = _words(" ".join(paragraphs)), _words(stored or "")
    common = sum((truth & got).values())
    return common / max(1, sum(truth.values())), common / max(1, sum(got.values()))


def field_checks(row: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, bool]:
    """Which fields of one stored row are right: body by ≥ 95 % word recall and precision."""
    recall, precision = body_overlap(row.get("body"), truth["paragraphs"])
    published = row.get("published_at")
    if isinstance(published, str):
        published = datetime.fromisoformat(published)
    return {
        "title": _norm(row.get("title")) == _norm(truth["title"]),
        "body": recall >= 0.95 and precision >= 0.95,
        "published": isinstance(published, datetime)
        and published.tzinfo is not None
        and abs((published - truth["published"]).total_seconds()) < 60,
        "author": _norm(row.get("author")) == _norm(truth["author"]),
        "category": _norm(row.get("category")) == _norm(truth["category"]),
        "tags": sorted(map(_norm, row.get("tags") or [])) == sorted(map(_norm, truth["tags"])),
        "agency": (row.get("agency") or None) == truth["agency"],
    }


def accuracy(
    rows: Mapping[str, Mapping[str, Any]], truths: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Per field: the share of seeded posts whose row (by URL) is right, and the URLs wrong."""
    wrong: dict[str, list[str]] = {name: [] for name in FIELDS}
    for url, truth in truths.items():
        row = rows.get(url)
        checks = field_checks(row, truth) if row is not None else dict.fromkeys(FIELDS, False)
        for name, ok in checks.items():
            if not ok:
                wrong[name].append(url)
    total = max(1, len(truths))
    return {name: 1 - len(wrong[name]) / total for name in FIELDS}, wrong


def table(results: Mapping[str, Mapping[str, float]]) -> str:
    """A Markdown table: one row per run (theme, database), one column per field."""
    lines = ["| run | " + " | ".join(FIELDS) + " |", "|---" * (len(FIELDS) + 1) + "|"]
    for run, scores in results.items():
        lines.append(f"| {run} | " + " | ".join(f"{scores[f]:.1%}" for f in FIELDS) + " |")
    return "\n".join(lines)
