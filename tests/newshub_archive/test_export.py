"""Exports: filters, JSON Lines/CSV/Parquet streamed in flat memory, and subset WARC files."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from warcio.archiveiterator import ArchiveIterator

from crawler.config import Source
from newshub_archive.export import export, export_warc
from newshub_archive.selection import ArticleFilter
from pipelines.db.models import ArticleRow, Capture
from pipelines.db.runs import ensure_source
from pipelines.warc.members import scan
from pipelines.warc.writer import WarcWriter
from tests.newshub_archive.sample_archive import T0, Page, archive, archive_files, exchange

PAGES = [
    Page("a", "A", "Text a.", T0 - timedelta(days=3), "Economy", "IRNA", "alpha"),
    Page("b", "B", "Text b.", T0 - timedelta(days=2), "Sport", "IRNA", "alpha"),
    Page("c", "C", "Text c.", T0 - timedelta(days=1), "Economy", "ISNA", "beta"),
    Page("d", "D", "Text d.", T0, "Sport", "ISNA", "beta"),
]


def jsonl(engine: Engine, **where: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    export(engine, out, where=ArticleFilter.parse(**where))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def titles(engine: Engine, **where: str) -> list[str]:
    return [row["title"] for row in jsonl(engine, **where)]


def test_filters(engine: Engine, tmp_path: Path) -> None:
    archive(engine, tmp_path / "warcs", PAGES)
    assert titles(engine) == ["A", "B", "C", "D"]
    assert titles(engine, source="beta") == ["C", "D"]
    assert titles(engine, category="Economy") == ["A", "C"]
    assert titles(engine, agency="IRNA", category="Sport") == ["B"]
    assert titles(engine, since="2026-04-29") == ["B", "C", "D"]
    assert titles(engine, until="2026-04-29") == ["A", "B"]  # the whole day
    assert titles(engine, since="2026-04-29T00:00:00Z", until="2026-04-30") == ["B", "C"]
    row = jsonl(engine, source="alpha")[0]
    assert row["warc_file"].startswith("alpha-") and row["warc_record_id"].startswith("<urn:")
    out = io.StringIO()
    assert export(engine, out, fmt="csv", where=ArticleFilter(category="Sport")) == 2
    assert out.getvalue().splitlines()[0].startswith("id,source,url,title")


def test_parquet(engine: Engine, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    archive(engine, tmp_path / "warcs", PAGES)
    target = tmp_path / "articles.parquet"
    with open(target, "wb") as out:
        assert export(engine, out, fmt="parquet", where=ArticleFilter(agency="ISNA")) == 2
    rows = pq.read_table(target).to_pylist()
    assert [row["title"] for row in rows] == ["C", "D"]
    assert rows[0]["published_at"] == PAGES[2].published_at and rows[0]["tags"] == []
    assert set(rows[0]) == set(jsonl(engine)[0])


def many_articles(engine: Engine, count: int, body_size: int) -> None:
    source_id = ensure_source(engine, Source(name="bulk", home="http://bulk.test/"))
    body = ("word " * (body_size // 5))[:body_size]
    rows = [
        {
            "source_id": source_id,
            "url": f"http://bulk.test/{n}/",
            "title": f"Article {n}",
            "body": body,
            "tags": ["x", "y"],
            "links": [],
            "content_hash": "h",
            "extractor_version": "t",
            "published_at": T0,
            "first_seen": T0,
            "last_seen": T0,
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        for start in range(0, count, 2000):
            connection.execute(insert(ArticleRow.__table__), rows[start : start + 2000])


class Sink(io.StringIO):
    """Counts what is written and keeps none of it."""

    size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def peak_memory(engine: Engine, fmt: str, tmp_path: Path) -> tuple[int, int]:
    """Python (tracemalloc) and Arrow peak bytes of one export of the whole archive."""
    pa = pytest.importorskip("pyarrow") if fmt == "parquet" else None
    tracemalloc.start()
    try:
        if pa is not None:
            previous = pa.default_memory_pool()
            pool = pa.proxy_memory_pool(previous)
            pa.set_memory_pool(pool)
            try:
                with open(tmp_path / "out.parquet", "wb") as out:
                    assert export(engine, out, fmt=fmt) == 20_000
            finally:
                pa.set_memory_pool(previous)
            arrow_peak = pool.max_memory()
        else:
            sink = Sink()
            assert export(engine, sink, fmt=fmt) == 20_000
            assert sink.size > 40_000_000
            arrow_peak = 0
        return tracemalloc.get_traced_memory()[1], arrow_peak
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_stays_flat(engine: Engine, tmp_path: Path) -> None:
    """20,000 articles of 2 kB (40 MB of text) export within a few MB of memory."""
    many_articles(engine, 20_000, 2000)
    for fmt in ("jsonl", "parquet"):  # csv reads rows the same way as jsonl
        python_peak, arrow_peak = peak_memory(engine, fmt, tmp_path)
        print(f"{fmt}: Python peak {python_peak / 1e6:.1f} MB, Arrow {arrow_peak / 1e6:.1f} MB")
        assert python_peak < 12_000_000, (fmt, python_peak)
        assert arrow_peak < 24_000_000, (fmt, arrow_peak)


def test_subset_warc_reports_a_damaged_record_and_copies_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    warcs = tmp_path / "warcs"
    archive(engine, warcs, PAGES[:2])
    with engine.connect() as connection:
        name, offset, length = connection.execute(
            select(Capture.warc_file, Capture.warc_offset, Capture.warc_length).where(
                Capture.url == PAGES[0].url()
            )
        ).one()
    raw = bytearray((warcs / name).read_bytes())
    raw[offset + length // 2] ^= 0x20
    (warcs / name).write_bytes(bytes(raw))
    out = io.BytesIO()
    done = export_warc(engine, warcs, out, ArticleFilter(source="alpha"), requisites=False)
    (problem,) = done.problems
    assert problem.startswith(f"{name} @ {offset}: corrupt gzip data")
    kinds = [record.rec_type for record in ArchiveIterator(io.BytesIO(out.getvalue()))]
    assert kinds == ["warcinfo", "response", "request", "metadata"]  # page b's, whole


def members_by_id(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    return {
        str(m.record_id): data[m.offset : m.offset + m.length] for m in scan(path) if not m.error
    }


def test_subset_warc_copies_records_byte_for_byte(engine: Engine, tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    records = archive(engine, warcs, PAGES)
    target = tmp_path / "subset.warc.gz"
    with open(target, "wb") as out:
        done = export_warc(engine, warcs, out, ArticleFilter(category="Economy"))
    assert done.problems == [] and done.articles == 2
    copied = members_by_id(target)
    originals: dict[str, bytes] = {}
    for path in warcs.iterdir():
        originals.update(members_by_id(path))
    assert all(originals[record_id] == raw for record_id, raw in copied.items())
    with open(target, "rb") as stream:
        parsed = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for r in ArchiveIterator(stream)
        ]
    kinds = [kind for kind, _ in parsed]
    assert kinds.count("warcinfo") == 2 and kinds.count("response") == 2
    assert kinds.count("request") == 2 and kinds.count("metadata") == 2
    responses = {uri for kind, uri in parsed if kind == "response"}
    assert responses == {PAGES[0].url(), PAGES[2].url()}
    assert records[PAGES[0].url()] in copied and records[PAGES[1].url()] not in copied
    assert done.records == len(copied) == 8 and done.bytes == target.stat().st_size
    warcio = Path(sys.executable).with_name("warcio")
    checked = subprocess.run([str(warcio), "check", str(target)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.skipif(not hasattr(WarcWriter, "write_revisit"), reason="no revisit writer")
def test_subset_warc_brings_revisit_originals(engine: Engine, tmp_path: Path) -> None:
    from pipelines.db.store import ArchiveStore
    from pipelines.warc.records import RevisitTarget

    warcs = tmp_path / "warcs"
    archive(engine, warcs, PAGES[:1])
    with engine.connect() as connection:
        original = connection.execute(select(Capture.__table__)).one()
        article = connection.execute(select(ArticleRow.__table__)).one()
    later = T0 + timedelta(days=1)
    with WarcWriter(warcs, "alpha") as writer:
        target = RevisitTarget(
            original.url, original.fetched_at, original.warc_record_id, original.payload_digest
        )
        revisit = writer.write_revisit(exchange(original.url, b"", later), target)
    store = ArchiveStore(engine, article.source_id)
    store.start()
    store.add_capture({
        "url": original.url, "status": 200, "content_type": "text/html", "fetched_at": later,
        "size": 0, "payload_digest": revisit.payload_digest, "record_type": "revisit",
        "warc_file": revisit.warc_file, "warc_offset": revisit.offset,
        "warc_length": revisit.length, "warc_record_id": revisit.record_id,
    })  # fmt: skip
    store.close()
    with engine.begin() as connection:
        connection.execute(ArticleRow.__table__.update().values(warc_record_id=revisit.record_id))
    with open(tmp_path / "subset.warc.gz", "wb") as out:
        done = export_warc(engine, warcs, out)
    assert done.problems == []
    copied = members_by_id(tmp_path / "subset.warc.gz")
    assert revisit.record_id in copied and original.warc_record_id in copied


def test_subset_warc_brings_page_requisites(engine: Engine, tmp_path: Path) -> None:
    """Stylesheets and images of the page, and the fonts of its stylesheet, each URL once."""
    warcs = tmp_path / "warcs"
    page = Page("styled", "Styled", "Text.", requisites=("/s/site.css", "img/photo.jpg#x"))
    other = Page("plain", "Plain", "Text.", category="Sport")
    archive(engine, warcs, [page, other])
    css = b"@font-face{src:url('../f/font.woff2')} body{background:url(/i/bg.png)}"
    old, new = T0 - timedelta(days=9), T0 + timedelta(hours=1)
    files = {
        "http://hub.test/s/site.css": ("text/css", css),
        "http://hub.test/styled/img/photo.jpg": ("image/jpeg", b"\xff\xd8jpeg"),
        "http://hub.test/f/font.woff2": ("font/woff2", b"wOF2"),
        "http://hub.test/i/bg.png": ("image/png", b"\x89PNG"),
        "http://hub.test/unused.js": ("text/javascript", b"1"),
    }
    archive_files(
        engine,
        warcs,
        "hub",
        {"http://hub.test/i/bg.png": files.pop("http://hub.test/i/bg.png")},
        fetched_at=old,
    )
    records = archive_files(engine, warcs, "hub", files, fetched_at=new)
    records |= archive_files(
        engine,
        warcs,
        "hub",
        {"http://hub.test/i/bg.png": ("image/png", b"\x89PNG2")},
        fetched_at=new,
    )
    target = tmp_path / "subset.warc.gz"
    with open(target, "wb") as out:
        done = export_warc(engine, warcs, out, ArticleFilter(category="Politics"))
    assert done.problems == [] and done.articles == 1
    with open(target, "rb") as stream:
        responses = {
            r.rec_headers.get_header("WARC-Target-URI"): r.rec_headers.get_header("WARC-Record-ID")
            for r in ArchiveIterator(stream)
            if r.rec_type == "response"
        }
    expected = [page.url(), *(url for url in records if "unused" not in url)]
    assert sorted(responses) == sorted(expected)
    assert responses["http://hub.test/i/bg.png"] == records["http://hub.test/i/bg.png"]  # closest
    with open(tmp_path / "bare.warc.gz", "wb") as out:
        bare = export_warc(engine, warcs, out, ArticleFilter(category="Politics"), requisites=False)
    assert bare.records == 4  # warcinfo, response, request, metadata
