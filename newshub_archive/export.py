"""Streaming exports of article rows as JSON Lines, CSV or Parquet (subset WARCs: warc_subset).

Rows are read with a server-side cursor and written batch by batch, so memory stays flat
however large the archive.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, BinaryIO, TextIO

from sqlalchemy import Engine, func, select

from crawler.errors import require_extra
from newshub_archive.replay_urls import replay_base, replay_url
from newshub_archive.selection import ArticleFilter
from newshub_archive.subset import WarcExport, export_warc
from pipelines.db.models import ArticleRow, Capture, SourceRow

EXPORT_FIELDS = (
    "id", "source", "url", "title", "lead", "body", "author", "published_at", "modified_at",
    "category", "tags", "agency", "agency_line", "language", "image", "first_seen", "last_seen",
    # Identity (migration 0006): the site's post id, since when the site removed the article,
    # and the key its language editions share.
    "post_id", "removed_at", "translation_group",
    "warc_file", "warc_offset", "warc_record_id", "replay_url",
)  # fmt: skip
FORMATS = ("jsonl", "csv", "parquet")
__all__ = ["EXPORT_FIELDS", "FORMATS", "WarcExport", "export", "export_warc", "iter_articles"]
BATCH = 1000


def iter_articles(
    engine: Engine, source: str | None = None, where: ArticleFilter | None = None
) -> Iterator[dict[str, Any]]:
    """Article rows in id order, with the WARC record each was extracted from."""
    article, capture, sources = ArticleRow.__table__, Capture.__table__, SourceRow.__table__
    where = where or ArticleFilter(source=source)
    query = where.apply(
        select(
            article.c.id,
            sources.c.name.label("source"),
            *(article.c[name] for name in EXPORT_FIELDS[2 : EXPORT_FIELDS.index("warc_file")]),
            capture.c.warc_file,
            capture.c.warc_offset,
            article.c.warc_record_id,
            capture.c.url.label("captured_url"),
            capture.c.fetched_at.label("captured_at"),
        )
        .join(sources, sources.c.id == article.c.source_id)
        .outerjoin(capture, capture.c.warc_record_id == article.c.warc_record_id)
        .order_by(article.c.id)
    )
    base = replay_base()
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=500).execute(query)
        for row in result.mappings():
            values = dict(row)
            url, when = values.pop("captured_url"), values.pop("captured_at")
            values["replay_url"] = replay_url(url, when, base) if url and when else None
            yield values


def plain_value(value: Any) -> Any:
    """A value JSON can carry: datetimes as ISO 8601 (the one helper the CLI's JSON uses too)."""
    return value.isoformat() if isinstance(value, datetime) else value


def write_jsonl(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(
            json.dumps({k: plain_value(v) for k, v in row.items()}, ensure_ascii=False) + "\n"
        )
        count += 1
    return count


def write_csv(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        plain = {k: plain_value(v) for k, v in row.items()}
        plain["tags"] = json.dumps(row["tags"] or [], ensure_ascii=False)
        writer.writerow(plain)
        count += 1
    return count


def parquet_schema() -> Any:
    import pyarrow as pa

    when = pa.timestamp("us", tz="UTC")
    types = {"id": pa.int64(), "warc_offset": pa.int64(), "tags": pa.list_(pa.string())}
    dates = ("published_at", "modified_at", "first_seen", "last_seen", "removed_at")
    types.update(dict.fromkeys(dates, when))
    return pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_FIELDS])


def write_parquet(rows: Iterator[dict[str, Any]], out: BinaryIO | str) -> int:
    """One row group per batch of rows: only a batch is ever held in memory."""
    require_extra("pyarrow", "parquet", "Parquet export")
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        while batch := list(itertools.islice(rows, BATCH)):
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def count_articles(engine: Engine, where: ArticleFilter | None = None) -> int:
    """How many articles an export with this filter writes."""
    query = (where or ArticleFilter()).apply(select(func.count()).select_from(ArticleRow))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _counted(rows: Iterator[dict[str, Any]], advance: Callable[[int], None]) -> Iterator[Any]:
    for row in rows:
        yield row
        advance(1)


def export(
    engine: Engine,
    out: Any,
    *,
    fmt: str = "jsonl",
    source: str | None = None,
    where: ArticleFilter | None = None,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write every matching article to `out` (binary for parquet); returns how many.

    `advance(1)` is called after each row (a progress bar).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    rows = iter_articles(engine, source, where)
    if advance is not None:
        rows = _counted(rows, advance)
    if fmt == "parquet":
        return write_parquet(rows, out)
    return write_jsonl(rows, out) if fmt == "jsonl" else write_csv(rows, out)
