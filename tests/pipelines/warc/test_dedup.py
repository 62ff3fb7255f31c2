"""Dedup: which responses become revisits, the revisit record itself, and the digest index."""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import sys
import tracemalloc
import uuid
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from sqlalchemy import Engine, insert

from crawler.config import Source
from crawler.middlewares.warc import WarcCaptureMiddleware
from crawler.signals import capture_archived
from pipelines.db.models import Capture
from pipelines.db.runs import ensure_source
from pipelines.warc.dedup import (
    DigestIndex,
    content_coding,
    dedup_key,
    eligible,
    load_digest_index,
    revisit_target,
)
from pipelines.warc.records import REVISIT_PROFILE, RevisitTarget
from pipelines.warc.recover import iter_records
from pipelines.warc.writer import WarcWriter
from tests.newshub_archive.sample_archive import exchange
from tests.newshub_crawler import newshub_crawler

# Hex digests: a page that gzip cannot shrink below WARC_DEDUP_MIN_SIZE.
PAGE = b"<!doctype html><title>Hub</title>" + b"".join(
    b"<p>%s</p>" % hashlib.sha1(b"%d" % n).hexdigest().encode() for n in range(60)
)
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
WARCIO = Path(sys.executable).with_name("warcio")


def gz(data: bytes, level: int = 6, mtime: int = 0) -> bytes:
    return gzip.compress(data, level, mtime=mtime)


def target(url: str = "http://hub.test/a/", record_id: str = "<urn:uuid:1>") -> RevisitTarget:
    return RevisitTarget(url, T0, record_id, "sha1:AAAA")


# --- the key ---------------------------------------------------------------------------------


def test_key_is_over_the_decoded_payload_and_the_encoding() -> None:
    key = dedup_key(gz(PAGE), "gzip")
    assert key.startswith("gzip:sha1:") and len(key) <= 64
    # Other gzip framing (mtime, level), same page: same key, so the duplicate is not missed.
    assert dedup_key(gz(PAGE, mtime=12345), "gzip") == key
    assert dedup_key(gz(PAGE, level=9), "gzip") == key
    assert dedup_key(gz(PAGE[:100]) + gz(PAGE[100:]), "gzip") == key  # two members
    # The same page unencoded never matches a gzip copy: replay would serve the wrong bytes.
    assert dedup_key(PAGE, "identity") != key
    assert dedup_key(PAGE, "identity") == dedup_key(PAGE, "identity")
    deflated = zlib.compress(PAGE)
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw_deflated = raw.compress(PAGE) + raw.flush()
    assert dedup_key(deflated, "deflate") == dedup_key(raw_deflated, "deflate")


def test_undecodable_bodies_only_match_byte_identical_copies() -> None:
    torn = gz(PAGE)[:-20]
    assert dedup_key(torn, "gzip") == dedup_key(torn, "gzip")
    assert dedup_key(torn, "gzip") != dedup_key(gz(PAGE), "gzip")
    assert dedup_key(b"br-bytes", "br") != dedup_key(b"br-bytes", "identity")


def test_content_coding_is_normalized() -> None:
    assert content_coding([("Content-Type", "text/html")]) == "identity"
    assert content_coding([("content-encoding", " X-GZIP ")]) == "gzip"
    assert content_coding([("Content-Encoding", "gzip"), ("Content-Encoding", "br")]) == "gzip,br"


# --- the policy ------------------------------------------------------------------------------


def test_only_whole_200_responses_of_some_size_are_eligible() -> None:
    page = exchange("http://hub.test/a/", PAGE, T0)
    assert eligible(page, 256)
    assert not eligible(replace(page, status=404), 256)
    assert not eligible(replace(page, truncated="length"), 256)
    assert not eligible(replace(page, body=b"tiny"), 256)
    assert not eligible(replace(page, body=b""), 0)


def test_revisit_needs_a_matching_content_length() -> None:
    index = DigestIndex()
    body = gz(PAGE)
    key = dedup_key(body, "gzip")
    index.add(key, target(), len(body))
    chunked = exchange("http://hub.test/b/", gz(PAGE, level=9), T0)
    assert revisit_target(index, chunked, key) == target()  # no Content-Length to contradict
    same = replace(chunked, response_headers=[("Content-Length", str(len(body)))])
    assert revisit_target(index, same, key) == target()
    other = replace(chunked, response_headers=[("Content-Length", str(len(body) + 1))])
    assert revisit_target(index, other, key) is None
    assert revisit_target(index, chunked, "identity:sha1:OTHER") is None


def test_index_is_bounded_and_older_entries_never_override_newer() -> None:
    index = DigestIndex(max_entries=2)
    for n in range(3):
        index.add(f"k{n}", target(record_id=f"<{n}>"), 10)
    assert len(index) == 2 and index.get("k0") is None
    older = DigestIndex(max_entries=5)
    older.add("k2", target(record_id="<old>"), 10)
    older.add("k9", target(record_id="<old9>"), 10)
    index.merge_older(older)
    entry = index.get("k2")
    assert len(index) == 2 and entry is not None and entry[0].record_id == "<2>"


# --- the revisit record ----------------------------------------------------------------------


def test_revisit_record_keeps_headers_and_points_at_the_original(tmp_path: Path) -> None:
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("ETag", '"x"')]
    first = replace(exchange("http://hub.test/a/", gz(PAGE), T0), response_headers=headers)
    again = replace(first, fetched_at=T0 + timedelta(days=1), body=gz(PAGE, mtime=99))
    with WarcWriter(tmp_path, "hub") as writer:
        original = writer.write_exchange(first)
        revisit = writer.write_revisit(
            again,
            RevisitTarget(
                original.target_uri, original.date, original.record_id, original.payload_digest
            ),
        )
    assert revisit.record_type == "revisit" and revisit.payload_digest == original.payload_digest
    records = [r for r in iter_records(tmp_path / writer.files[0]) if r.record_type == "revisit"]
    (record,) = records
    warc = record.headers
    assert warc.get_header("WARC-Profile") == REVISIT_PROFILE
    assert warc.get_header("WARC-Refers-To") == original.record_id
    assert warc.get_header("WARC-Refers-To-Target-URI") == "http://hub.test/a/"
    assert warc.get_header("WARC-Refers-To-Date") == "2026-05-01T12:00:00Z"
    assert warc.get_header("WARC-Payload-Digest") == original.payload_digest
    assert warc.protocol == "WARC/1.1" and record.payload == b""
    assert record.http_headers is not None
    assert record.http_headers.headers == headers and record.http_headers.statusline == "200 OK"
    assert record.digests_ok is not False
    check = subprocess.run([str(WARCIO), "check", str(tmp_path / writer.files[0])])
    assert check.returncode == 0


# --- the middleware --------------------------------------------------------------------------


def response(url: str, body: bytes, **headers: str) -> HtmlResponse:
    values = {"Content-Type": "text/html; charset=utf-8", **headers}
    return HtmlResponse(url, headers=values, body=body, protocol="HTTP/1.1")


def test_middleware_writes_revisits_for_repeated_payloads(tmp_path: Path) -> None:
    crawler = newshub_crawler(Spider, WARC_DIR=str(tmp_path), WARC_DEDUP_ENABLED=True)
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    captures: list[dict] = []

    def collect(capture: dict, spider: Spider) -> None:
        captures.append(capture)

    crawler.signals.connect(collect, capture_archived)
    middleware.spider_opened(Spider("hub"))
    first, other_gzip = gz(PAGE), gz(PAGE, mtime=7)
    for url, body, coding in (
        ("http://hub.test/a/", first, "gzip"),
        ("http://hub.test/a/", other_gzip, "gzip"),  # same page, other gzip bytes
        ("http://hub.test/b/", first, "gzip"),  # same payload, other URL
        ("http://hub.test/c/", PAGE, None),  # same page unencoded: stored in full
        ("http://hub.test/d/", b"small", None),
        ("http://hub.test/e/", b"small", None),  # below WARC_DEDUP_MIN_SIZE
    ):
        extra = {"Content-Encoding": coding} if coding else {}
        middleware.process_response(Request(url), response(url, body, **extra))
    middleware.spider_closed(Spider("hub"))
    types = [c["record_type"] for c in captures]
    assert types == ["response", "revisit", "revisit", "response", "response", "response"]
    assert captures[1]["payload_digest"] == captures[0]["payload_digest"]
    assert captures[1]["dedup_key"] == captures[0]["dedup_key"] == captures[2]["dedup_key"]
    assert captures[4]["dedup_key"] is None
    assert crawler.stats.get_value("warc/revisits") == 2
    records = [
        r for f in crawler.stats.get_value("newshub/warc_files") for r in iter_records(tmp_path / f)
    ]
    revisits = [r for r in records if r.record_type == "revisit"]
    assert [r.headers.get_header("WARC-Refers-To") for r in revisits] == [
        captures[0]["warc_record_id"]
    ] * 2


def test_dedup_is_off_when_the_setting_is_off(tmp_path: Path) -> None:
    crawler = newshub_crawler(Spider, WARC_DIR=str(tmp_path), WARC_DEDUP_ENABLED=False)
    assert WarcCaptureMiddleware.from_crawler(crawler).digests is None


# --- the index in the database ---------------------------------------------------------------


def test_index_loads_the_newest_responses_of_one_source(engine: Engine) -> None:
    hub = ensure_source(engine, Source(name="hub", home="http://hub.test/"))
    other = ensure_source(engine, Source(name="other", home="http://other.test/"))

    def row(n: int, source_id: int, key: str | None, kind: str = "response") -> dict:
        return {
            "source_id": source_id, "url": f"http://hub.test/{n}/", "status": 200,
            "content_type": "text/html", "fetched_at": T0 + timedelta(hours=n), "size": 1000 + n,
            "payload_digest": f"sha1:P{n}", "dedup_key": key, "record_type": kind,
            "warc_file": "f.warc.gz", "warc_offset": n, "warc_length": 1,
            "warc_record_id": f"<{n}>",
        }  # fmt: skip

    rows = [
        row(1, hub, "k:a"),
        row(2, hub, "k:a"),  # newer copy of the same payload: the one to refer to
        row(3, hub, "k:a", "revisit"),  # revisits are never originals
        row(4, hub, None),
        row(5, other, "k:b"),
        row(6, hub, "k:c"),
    ]
    with engine.begin() as connection:
        connection.execute(insert(Capture), rows)
    index = load_digest_index(engine, hub)
    assert len(index) == 2 and index.get("k:b") is None
    entry = index.get("k:a")
    assert entry is not None
    original, size = entry
    assert (original.record_id, original.payload_digest, size) == ("<2>", "sha1:P2", 1002)
    assert original.date == T0 + timedelta(hours=2) and original.url == "http://hub.test/2/"
    assert len(load_digest_index(engine, "hub")) == 2
    assert len(load_digest_index(engine, "nobody")) == 0
    newest_only = load_digest_index(engine, hub, max_entries=1)
    assert newest_only.get("k:c") is not None and newest_only.get("k:a") is None


@pytest.mark.parametrize("level", [1, 9])
def test_gzip_level_does_not_hide_a_duplicate(level: int) -> None:
    assert dedup_key(gz(PAGE, level=level), "gzip") == dedup_key(gz(PAGE), "gzip")


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


A, B = sha1_digest(b"a"), sha1_digest(b"b")
URN = "<urn:uuid:0f4e8a52-65d2-4a57-9b43-3a9c1d8e7f10>"
WHEN = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    "key,record_id,payload_digest,date",
    [
        (f"identity:{A}", URN, A, WHEN),  # packed, the digest the key's own
        (f"gzip:{A}", URN, B, WHEN),  # packed with the payload digest
        (f"gzip:{A}", URN, B, datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        (f"gzip:{A}", URN, B, WHEN.replace(tzinfo=None)),  # naive (as some databases give)
        (f"gzip:{A}", URN, B, WHEN.astimezone(timezone(timedelta(hours=3, minutes=30)))),
        ("identity:sha1:AAAA", URN, "sha1:AAAA", WHEN),  # not SHA-1 digests
        ("gzip:sha1:AAAA", URN, "sha1:BBBB", WHEN),
        (f"identity:{A}", URN.upper().replace("URN:UUID", "urn:uuid"), A, WHEN),
        (f"br:{A}", "<urn:x-other:42>", B, WHEN),
    ],
)
def test_index_entries_come_back_as_they_went_in(
    key: str, record_id: str, payload_digest: str, date: datetime
) -> None:
    """Entries are kept packed (UUID bytes, digests as bytes, the key's own digest left out):
    what comes back is exactly the original, whatever form its record id, digest and date had."""
    original = RevisitTarget("http://hub.test/a.jpg", date, record_id, payload_digest)
    index = DigestIndex()
    index.add(key, original, 1234)
    found = index.get(key)
    assert found == (original, 1234)
    assert found[0].date.tzinfo == date.tzinfo and found[0].record_id == record_id


def test_an_index_entry_costs_under_250_bytes_besides_its_url() -> None:
    urls = [f"http://hub.test/2026/01/{n:05}/a-story/" for n in range(2000)]
    tracemalloc.start()
    index = DigestIndex()
    before = tracemalloc.get_traced_memory()[0]
    for n, url in enumerate(urls):
        digest = sha1_digest(url.encode())
        original = RevisitTarget(url, WHEN + timedelta(seconds=n), f"<urn:uuid:{uuid.uuid4()}>", B)
        index.add(f"gzip:{digest}", original, 10_000 + n)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert used / len(urls) < 250  # the URLs themselves not counted: a crawl holds them anyway
