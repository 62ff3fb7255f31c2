"""Subset WARC files: the records behind a selection of articles, copied byte for byte.

newshub writes each record as its own gzip member, so a subset is made of whole members copied
unchanged: each selected article's response (or revisit) record of every stored version, the
request and metadata records written with it (WARC-Concurrent-To, right after it), the warcinfo
record of each source file, the original of any revisit, and the page's requisites (the
stylesheets, scripts, images and fonts its HTML and CSS reference, each URL once, from the
capture closest in time). The result replays on its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urldefrag, urljoin

from sqlalchemy import Connection, Engine, select

from newshub_archive.selection import ArticleFilter
from pipelines.db.models import ArticleRow, ArticleVersion, Capture
from pipelines.warc.members import read_member, whole_members
from pipelines.warc.reading import record_at

BATCH = 1000
# Decoded bytes of a page or stylesheet read to find its requisites.
_MAX_PARSE = 8 << 20
# Requisites of requisites: a stylesheet's fonts and images, an @import's own url()s.
_DEPTH = 3


@dataclass
class WarcExport:
    articles: int = 0
    records: int = 0
    bytes: int = 0
    # Records that could not be copied: "FILE @ OFFSET: why".
    problems: list[str] = field(default_factory=list)


def export_warc(
    engine: Engine,
    warc_dir: Path,
    out: BinaryIO,
    where: ArticleFilter | None = None,
    *,
    requisites: bool = True,
) -> WarcExport:
    """Copy the WARC records behind the selected articles into `out`, byte for byte."""
    where = where or ArticleFilter()
    article, versions = ArticleRow.__table__, ArticleVersion.__table__
    result = WarcExport()
    copier = _Copier(warc_dir, out, result, requisites)
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


_Location = tuple[str, int, str, datetime]  # file, offset, record id, capture time


class _Copier:
    """Copies gzip members from the archive's files, each at most once."""

    def __init__(self, warc_dir: Path, out: BinaryIO, result: WarcExport, requisites: bool) -> None:
        self.warc_dir, self.out, self.result = warc_dir, out, result
        self.requisites = requisites
        self.done: set[tuple[str, int]] = set()
        self.files: dict[str, BinaryIO | None] = {}
        # Requisite URLs already resolved to a capture (or found missing).
        self.urls: set[str] = set()

    def __enter__(self) -> _Copier:
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in self.files.values():
            if stream is not None:
                stream.close()

    def copy(self, connection: Connection, record_ids: set[str]) -> None:
        """Copy these records, then the requisites they (and their stylesheets) reference."""
        capture = Capture.__table__
        query = (
            select(
                capture.c.warc_file,
                capture.c.warc_offset,
                capture.c.warc_record_id,
                capture.c.fetched_at,
            )
            .where(capture.c.warc_record_id.in_(sorted(record_ids)))
            .order_by(capture.c.warc_file, capture.c.warc_offset)
        )
        wanted: dict[str, datetime] = {}
        for name, offset, record_id, when in connection.execute(query).all():
            self._record(connection, (name, offset, record_id, when), wanted)
        for _ in range(_DEPTH):
            urls = {url: when for url, when in wanted.items() if url not in self.urls}
            if not urls:
                break
            self.urls |= set(urls)
            wanted = {}
            for closest in self._closest(connection, urls):
                self._record(connection, closest, wanted)

    def _closest(self, connection: Connection, urls: dict[str, datetime]) -> list[_Location]:
        """For each URL, its capture closest in time to the page that needs it."""
        capture = Capture.__table__
        best: dict[str, tuple[float, _Location]] = {}
        ordered = sorted(urls)
        for start in range(0, len(ordered), 500):
            rows = connection.execute(
                select(
                    capture.c.url,
                    capture.c.warc_file,
                    capture.c.warc_offset,
                    capture.c.warc_record_id,
                    capture.c.fetched_at,
                ).where(capture.c.url.in_(ordered[start : start + 500]))
            )
            for url, name, offset, record_id, when in rows:
                gap = abs((when - urls[url]).total_seconds())
                if url not in best or gap < best[url][0]:
                    best[url] = (gap, (name, offset, record_id, when))
        return sorted(location for _, location in best.values())

    def _record(
        self, connection: Connection, location: _Location, wanted: dict[str, datetime]
    ) -> None:
        name, offset, record_id, when = location
        stream = self._open(name)
        if stream is None or (name, offset) in self.done:
            return
        # The record, then the request and metadata records written with it.
        members = whole_members(stream, offset)
        member = next(members, None)
        if member is None or member.record_id != record_id:
            seen = f"found record {member.record_id}" if member else "no whole record"
            why = read_member(stream, offset).error or f"{seen}, not {record_id}"
            self.result.problems.append(f"{name} @ {offset}: {why}")
            return
        concurrent = list(
            itertools.takewhile(lambda m: m.header("WARC-Concurrent-To") == record_id, members)
        )
        for copied in (member, *concurrent):
            self._write(stream, name, copied.offset, copied.length)
        if self.requisites and member.record_type == "response":
            for url in references(stream, offset):
                wanted.setdefault(url, when)
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
                self._record(connection, (found[0], found[1], original, when), wanted)

    def _open(self, name: str) -> BinaryIO | None:
        if name not in self.files:
            try:
                stream = open(self.warc_dir / name, "rb")  # noqa: SIM115 - closed in __exit__
            except OSError as exc:
                self.result.problems.append(f"{name}: {exc.strerror or exc}")
                self.files[name] = None
                return None
            self.files[name] = stream
            info = next(whole_members(stream, 0), None)
            if info is not None and info.record_type == "warcinfo":
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


def references(stream: BinaryIO, offset: int) -> list[str]:
    """Absolute URLs of the requisites an archived HTML page or stylesheet references."""
    from crawler.references import css_references, html_references

    record = record_at(stream, offset)
    if record is None or record.http_headers is None:
        return []
    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
    if "html" not in content_type and "css" not in content_type:
        return []
    charset = content_type.partition("charset=")[2].split(";")[0].strip() or "utf-8"
    try:
        text = record.content_stream().read(_MAX_PARSE).decode(charset, "replace")
    except (LookupError, OSError, ValueError):  # unknown charset, undecodable body
        return []
    if "css" in content_type:
        found = css_references(text)
    else:
        from parsel import Selector

        found = html_references(Selector(text=text))
    base = record.rec_headers.get_header("WARC-Target-URI") or ""
    urls = (urldefrag(urljoin(base, reference))[0] for reference in found)
    return [url for url in dict.fromkeys(urls) if url.startswith(("http://", "https://"))]
