"""Streaming exports of article rows: memory stays flat however large the archive."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Engine, select

from pipelines.models import ArticleRow, Capture, SourceRow

EXPORT_FIELDS = (
    "id",
    "source",
    "url",
    "title",
    "lead",
    "body",
    "author",
    "published_at",
    "modified_at",
    "category",
    "tags",
    "agency",
    "agency_line",
    "language",
    "image",
    "first_seen",
    "last_seen",
    "warc_file",
    "warc_offset",
    "warc_record_id",
)
FORMATS = ("jsonl", "csv")


def iter_articles(engine: Engine, source: str | None = None) -> Iterator[dict[str, Any]]:
    """Article rows in id order, with the WARC record each was extracted from."""
    article, capture = ArticleRow.__table__, Capture.__table__
    query = (
        select(
            article.c.id,
            SourceRow.__table__.c.name.label("source"),
            *(article.c[name] for name in EXPORT_FIELDS[2:17]),
            capture.c.warc_file,
            capture.c.warc_offset,
            article.c.warc_record_id,
        )
        .join(SourceRow.__table__, SourceRow.__table__.c.id == article.c.source_id)
        .outerjoin(capture, capture.c.warc_record_id == article.c.warc_record_id)
        .order_by(article.c.id)
    )
    if source:
        query = query.where(SourceRow.__table__.c.name == source)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=500).execute(query)
        for row in result.mappings():
            yield dict(row)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write_jsonl(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        plain = {k: _plain(v) for k, v in row.items()}
        plain["tags"] = json.dumps(row["tags"] or [], ensure_ascii=False)
        writer.writerow(plain)
        count += 1
    return count


def export(engine: Engine, out: TextIO, *, fmt: str = "jsonl", source: str | None = None) -> int:
    """Write every matching article to `out`; returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    rows = iter_articles(engine, source)
    return write_jsonl(rows, out) if fmt == "jsonl" else write_csv(rows, out)
