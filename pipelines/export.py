"""Streaming exports: article rows as JSON Lines, CSV or Parquet, and subset WARC files.

Rows are read with a server-side cursor and written batch by batch, so memory stays flat
however large the archive. A subset WARC copies, byte for byte, the gzip members behind the
selected articles (each one's response record, the request and metadata records written with it,
the warcinfo of each file and the original of any revisit), so it replays on its own.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy import Connection, Engine, select

from crawler.errors import NewshubError
from pipelines.models import ArticleRow, ArticleVersion, Capture, SourceRow
from pipelines.replay_urls import replay_base, replay_url
from pipelines.selection import ArticleFilter
from pipelines.warc_members import read_member

EXPORT_FIELDS = (
    "id", "source", "url", "title", "lead", "body", "author", "published_at", "modified_at",
    "category", "tags", "agency", "agency_line", "language", "image", "first_seen", "last_seen",
    "warc_file", "warc_offset", "warc_record_id", "replay_url",
)  # fmt: skip
FORMATS = ("jsonl", "csv", "parquet")
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
            *(article.c[name] for name in EXPORT_FIELDS[2:17]),
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


def parquet_schema() -> Any:
    import pyarrow as pa

    when = pa.timestamp("us", tz="UTC")
    types = {"id": pa.int64(), "warc_offset": pa.int64(), "tags": pa.list_(pa.string())}
    types.update(dict.fromkeys(("published_at", "modified_at", "first_seen", "last_seen"), when))
    return pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_FIELDS])


def write_parquet(rows: Iterator[dict[str, Any]], out: BinaryIO | str) -> int:
    """One row group per batch of rows: only a batch is ever held in memory."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise NewshubError("Parquet export needs pyarrow: pip install 'newshub[parquet]'") from None
    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        while batch := list(itertools.islice(rows, BATCH)):
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def export(
    engine: Engine,
    out: Any,
    *,
    fmt: str = "jsonl",
    source: str | None = None,
    where: ArticleFilter | None = None,
) -> int:
    """Write every matching article to `out` (binary for parquet); returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    rows = iter_articles(engine, source, where)
    if fmt == "parquet":
        return write_parquet(rows, out)
    return write_jsonl(rows, out) if fmt == "jsonl" else write_csv(rows, out)


@dataclass
class WarcExport:
    articles: int = 0
    records: int = 0
    bytes: int = 0
    # Records that could not be copied: "FILE @ OFFSET: why".
    problems: list[str] = field(default_factory=list)


def export_warc(
    engine: Engine, warc_dir: Path, out: BinaryIO, where: ArticleFilter | None = None
) -> WarcExport:
    """Copy the WARC records behind the selected articles into `out`, byte for byte."""
    where = where or ArticleFilter()
    article, versions = ArticleRow.__table__, ArticleVersion.__table__
    result = WarcExport()
    copier = _Copier(warc_dir, out, result)
    query = where.apply(select(article.c.id, article.c.warc_record_id).order_by(article.c.id))
    with engine.connect() as connection, copier:
        rows = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for batch in rows.partitions(BATCH):
            result.articles += len(batch)
            ids = [row.id for row in batch]
            records = {row.warc_record_id for row in batch}
            records |= set(
                connection.execute(
                    select(versions.c.warc_record_id).where(versions.c.article_id.in_(ids))
                ).scalars()
            )
            records.discard(None)
            copier.copy(connection, records)
    return result


class _Copier:
    """Copies gzip members from the archive's files, each at most once."""

    def __init__(self, warc_dir: Path, out: BinaryIO, result: WarcExport) -> None:
        self.warc_dir, self.out, self.result = warc_dir, out, result
        self.done: set[tuple[str, int]] = set()
        self.files: dict[str, BinaryIO | None] = {}

    def __enter__(self) -> _Copier:
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in self.files.values():
            if stream is not None:
                stream.close()

    def copy(self, connection: Connection, record_ids: set[str]) -> None:
        capture = Capture.__table__
        query = (
            select(capture.c.warc_file, capture.c.warc_offset, capture.c.warc_record_id)
            .where(capture.c.warc_record_id.in_(sorted(record_ids)))
            .order_by(capture.c.warc_file, capture.c.warc_offset)
        )
        for name, offset, record_id in connection.execute(query).all():
            self._record(connection, name, offset, record_id)

    def _record(self, connection: Connection, name: str, offset: int, record_id: str) -> None:
        stream = self._open(name)
        if stream is None or (name, offset) in self.done:
            return
        member = read_member(stream, offset)
        if member.error or member.record_id != record_id:
            why = member.error or f"found record {member.record_id}, not {record_id}"
            self.result.problems.append(f"{name} @ {offset}: {why}")
            return
        self._write(stream, name, offset, member.length)
        position = offset + member.length
        while True:  # the request and metadata records written with the response
            follower = read_member(stream, position)
            if follower.error or follower.header("WARC-Concurrent-To") != record_id:
                break
            self._write(stream, name, position, follower.length)
            position += follower.length
        original = member.header("WARC-Refers-To")
        if member.record_type == "revisit" and original:
            capture = Capture.__table__
            found = connection.execute(
                select(capture.c.warc_file, capture.c.warc_offset).where(
                    capture.c.warc_record_id == original
                )
            ).first()
            if found is None:
                self.result.problems.append(f"{name} @ {offset}: revisit of unknown {original}")
            else:
                self._record(connection, found[0], found[1], original)

    def _open(self, name: str) -> BinaryIO | None:
        if name not in self.files:
            try:
                stream = open(self.warc_dir / name, "rb")  # noqa: SIM115 - closed in __exit__
            except OSError as exc:
                self.result.problems.append(f"{name}: {exc.strerror or exc}")
                self.files[name] = None
                return None
            self.files[name] = stream
            info = read_member(stream, 0)
            if info.error is None and info.record_type == "warcinfo":
                self._write(stream, name, 0, info.length)
        return self.files[name]

    def _write(self, stream: BinaryIO, name: str, offset: int, length: int) -> None:
        if (name, offset) in self.done:
            return
        stream.seek(offset)
        self.out.write(stream.read(length))
        self.done.add((name, offset))
        self.result.records += 1
        self.result.bytes += length
