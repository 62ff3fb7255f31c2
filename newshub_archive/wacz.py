"""WACZ 1.1.1 packages of the archive, for ReplayWeb.page and long-term deposit.

A WACZ is a ZIP holding ``archive/`` (the WARC files, stored uncompressed so replay can seek),
``indexes/index.cdx.gz`` + ``indexes/index.idx`` (a sorted CDXJ index in gzip blocks, which
ReplayWeb.page loads lazily), ``pages/pages.jsonl`` (one entry per article: where to start
browsing) and ``datapackage.json`` (every file's size and SHA-256), plus
``datapackage-digest.json``. Files are streamed into the ZIP: memory stays flat.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cdxj_indexer import CDXJIndexer
from sqlalchemy import select

from crawler import __version__
from newshub_archive.cdxj import SORT_BUFFER, warc_files
from pipelines.db.models import ArticleRow, Capture, SourceRow

if TYPE_CHECKING:
    from sqlalchemy import Engine

WACZ_VERSION = "1.1.1"
PAGES_PATH = "pages/pages.jsonl"
_CHUNK = 1 << 20
# Frictionless resource names: lowercase letters, digits and "-._/".
_NAME_UNSAFE = re.compile(r"[^-a-z0-9._/]")


class WaczError(ValueError):
    """Nothing to package; the message is one line for the user."""


@dataclass(frozen=True)
class WaczSummary:
    path: Path
    warcs: int
    pages: int
    size: int


class _HashingWriter(io.RawIOBase):
    """A write-only stream that counts and SHA-256-hashes what passes through to out."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.size = 0
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.out.write(view)
        self.sha256.update(view)
        self.size += len(view)
        return len(view)


def iter_pages(
    engine: Engine, warc_names: set[str], source: str | None = None
) -> Iterator[dict[str, Any]]:
    """One pages.jsonl entry per article whose WARC record is in warc_names."""
    article, capture, sources = ArticleRow.__table__, Capture.__table__, SourceRow.__table__
    query = (
        select(
            article.c.id, article.c.title, capture.c.url, capture.c.fetched_at, capture.c.warc_file
        )
        .join(capture, capture.c.warc_record_id == article.c.warc_record_id)
        .join(sources, sources.c.id == article.c.source_id)
        .order_by(article.c.id)
    )
    if source:
        query = query.where(sources.c.name == source)
    with engine.connect() as connection:
        for row in connection.execution_options(yield_per=500).execute(query):
            if row.warc_file not in warc_names:
                continue
            page = {"id": f"article-{row.id}", "url": row.url, "ts": _iso(row.fetched_at)}
            if row.title:
                page["title"] = row.title
            yield page


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class _Package:
    """The ZIP being written and the datapackage resources of what went into it."""

    def __init__(self, zip_file: zipfile.ZipFile) -> None:
        self.zip = zip_file
        self.resources: list[dict[str, Any]] = []

    def add_stream(self, path: str, source: IO[bytes], *, compress: bool) -> None:
        info = zipfile.ZipInfo(path, datetime.now(UTC).timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        # The size known up front lets zipfile add ZIP64 fields only to entries that need
        # them: ReplayWeb.page misreads small entries that carry them (forced ZIP64).
        info.file_size = source.seek(0, os.SEEK_END) - source.seek(0)
        with self.zip.open(info, "w") as entry:
            sink = _HashingWriter(entry)
            while chunk := source.read(_CHUNK):
                sink.write(chunk)
        self._resource(path, sink)

    def add_bytes(self, path: str, data: bytes, *, compress: bool = True) -> None:
        self.add_stream(path, io.BytesIO(data), compress=compress)

    def _resource(self, path: str, sink: _HashingWriter) -> None:
        name = _NAME_UNSAFE.sub("-", os.path.basename(path).lower())
        taken = {resource["name"] for resource in self.resources}
        base, serial = name, 1
        while name in taken:
            serial += 1
            name = f"{base}-{serial}"
        self.resources.append(
            {
                "name": name,
                "path": path,
                "hash": "sha256:" + sink.sha256.hexdigest(),
                "bytes": sink.size,
            }
        )


def write_wacz(
    engine: Engine,
    warc_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    source: str | None = None,
    title: str | None = None,
) -> WaczSummary:
    """Package the closed WARCs of warc_dir (only source's, if given) into a WACZ at output."""
    warcs = warc_files(warc_dir, source)
    if not warcs:
        which = f" of source {source!r}" if source else ""
        raise WaczError(f"no WARC files{which} in {warc_dir}")
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(temp, "w", allowZip64=True) as zip_file:
            package = _Package(zip_file)
            for path in warcs:
                with open(path, "rb") as stream:
                    package.add_stream(f"archive/{path.name}", stream, compress=False)
            _add_index(package, warcs)
            pages = list(iter_pages(engine, {path.name for path in warcs}, source))
            header = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
            jsonl = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in [header, *pages])
            package.add_bytes(PAGES_PATH, jsonl.encode("utf-8"))
            datapackage = _datapackage(package.resources, title or f"newshub: {source or 'all'}")
            zip_file.writestr("datapackage.json", datapackage)
            digest = {
                "path": "datapackage.json",
                "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest(),
            }
            zip_file.writestr("datapackage-digest.json", json.dumps(digest, indent=2))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return WaczSummary(target, len(warcs), len(pages), target.stat().st_size)


def _add_index(package: _Package, warcs: list[Path]) -> None:
    """``indexes/index.cdx.gz`` (sorted CDXJ in gzip blocks) and its ``index.idx``."""
    idx = io.StringIO()  # one line per block of 300 CDXJ lines: small
    with tempfile.TemporaryFile() as blocks:
        indexer = CDXJIndexer(
            idx,
            [os.fspath(path) for path in warcs],
            sort=True,
            compress=blocks,
            data_out_name="index.cdx.gz",
            max_sort_buff_size=SORT_BUFFER,
        )
        indexer.process_all()
        blocks.seek(0)
        package.add_stream("indexes/index.cdx.gz", blocks, compress=False)
    package.add_bytes("indexes/index.idx", idx.getvalue().encode("utf-8"))


def _datapackage(resources: list[dict[str, Any]], title: str) -> bytes:
    package = {
        "profile": "data-package",
        "resources": resources,
        "title": title,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wacz_version": WACZ_VERSION,
        "software": f"newshub {__version__}",
    }
    return json.dumps(package, indent=2).encode("utf-8")
