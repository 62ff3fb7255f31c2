"""WarcWriter: what lands on disk must read back byte for byte, with exact offsets."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import subprocess
import sys
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.warc.files import OPEN_SUFFIX, warc_filename
from pipelines.warc.records import HttpExchange, gzip_member, host_header, request_target
from pipelines.warc.recover import iter_records
from pipelines.warc.writer import WarcWriter

GOLDEN = Path(__file__).parent / "golden" / "exchange.warc"
WARCIO = Path(sys.executable).parent / "warcio"
HTML = b"<!doctype html><title>Hub</title><p>" + b"news " * 400 + b"</p>"
FETCHED = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def make_exchange(url: str = "https://hub.example.org/news/?page=2", **changes) -> HttpExchange:
    """A gzip-encoded, chunked-on-the-wire response with two cookies."""
    body = changes.pop("body", gzip.compress(HTML, mtime=0))
    values = {
        "url": url,
        "method": "GET",
        "request_headers": [
            ("User-Agent", "newshub-test"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Host", host_header(url)),
        ],
        "request_body": b"",
        "protocol": "HTTP/1.1",
        "status": 200,
        "reason": "OK",
        "response_headers": [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
            ("Set-Cookie", "session=abc; Path=/"),
            ("Set-Cookie", "consent=yes; Path=/"),
        ],
        "body": body,
        "ip_address": "192.0.2.7",
        "fetched_at": FETCHED,
        "duration": 0.25,
        "via": "https://hub.example.org/",
        "hops": "L",
        "outlinks": ["https://hub.example.org/news/1", "https://hub.example.org/news/2"],
    }
    values.update(changes)
    return HttpExchange(**values)


def pinned_ids():
    """Deterministic record ids: 00000000-...-000000000001, ...02, ..."""
    counter = itertools.count(1)
    return lambda: uuid.UUID(int=next(counter))


def pinned_writer(directory: Path, **kwargs) -> WarcWriter:
    options = {
        "hostname": "crawl-01.example",
        "pid": 4242,
        "clock": lambda: datetime(2026, 1, 2, 3, 4, 0, 123000, tzinfo=UTC),
        "id_factory": pinned_ids(),
        "warcinfo": {"software": "newshub/test", "operator": "ops@example.org", "runId": "r1"},
    }
    options.update(kwargs)
    return WarcWriter(directory, "hub", **options)


def read_all(path: Path) -> list:
    return list(iter_records(path))


def test_round_trip_reads_back_every_record(tmp_path: Path) -> None:
    exchange = make_exchange()
    with WarcWriter(tmp_path, "hub") as writer:
        archived = writer.write_exchange(exchange)
    (name,) = writer.files
    records = read_all(tmp_path / name)

    assert [r.record_type for r in records] == ["warcinfo", "response", "request", "metadata"]
    assert all(r.headers.protocol == "WARC/1.1" for r in records)
    assert all(r.digests_ok is True for r in records)
    warcinfo, response, request, metadata = records
    info_id = warcinfo.headers.get_header("WARC-Record-ID")
    for record in (response, request, metadata):
        assert record.headers.get_header("WARC-Warcinfo-ID") == info_id
        assert record.headers.get_header("WARC-Target-URI") == exchange.url
        assert record.headers.get_header("WARC-Date") == "2026-01-02T03:04:05.678901Z"
    for record in (request, metadata):
        assert record.headers.get_header("WARC-Concurrent-To") == archived.record_id

    # The ArchivedRecord points exactly at the response's gzip member.
    assert (archived.offset, archived.length) == (response.offset, response.length)
    assert archived.record_id == response.headers.get_header("WARC-Record-ID")
    assert archived.payload_digest == response.headers.get_header("WARC-Payload-Digest")
    assert archived.block_digest == response.headers.get_header("WARC-Block-Digest")
    assert archived.warc_file == name and archived.date == FETCHED
    with open(tmp_path / name, "rb") as stream:
        stream.seek(archived.offset)
        member = stream.read(archived.length)
    assert next(iter(ArchiveIterator(io.BytesIO(member)))).rec_type == "response"

    assert response.headers.get_header("WARC-IP-Address") == "192.0.2.7"
    assert response.http_headers.statusline == "200 OK"
    assert response.http_headers.protocol == "HTTP/1.1"
    cookies = [v for n, v in response.http_headers.headers if n == "Set-Cookie"]
    assert cookies == ["session=abc; Path=/", "consent=yes; Path=/"]
    assert response.http_headers.get_header("Transfer-Encoding") is None
    assert response.http_headers.get_header("Content-Encoding") == "gzip"
    assert response.payload == exchange.body  # still gzip: nobody decoded it

    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline == "/news/?page=2 HTTP/1.1"
    assert request.http_headers.get_header("Host") == "hub.example.org"

    fields = metadata.payload.decode().splitlines()
    assert fields == [
        "via: https://hub.example.org/",
        "hopsFromSeed: L",
        "fetchTimeMs: 250",
        "outlink: https://hub.example.org/news/1",
        "outlink: https://hub.example.org/news/2",
    ]


def test_warcinfo_names_the_crawl(tmp_path: Path) -> None:
    with pinned_writer(tmp_path, warcinfo={"operator": "ops@example.org", "runId": "r1"}) as w:
        w.write_exchange(make_exchange())
    warcinfo = read_all(tmp_path / w.files[0])[0]
    fields = dict(line.split(": ", 1) for line in warcinfo.payload.decode().splitlines())
    assert fields["software"].startswith("newshub/") and "warcio/" in fields["software"]
    assert fields["format"] == "WARC File Format 1.1"
    assert fields["conformsTo"].endswith("/warc-1.1/")
    assert fields["hostname"] == "crawl-01.example"
    assert (fields["operator"], fields["runId"], fields["isPartOf"]) == (
        "ops@example.org",
        "r1",
        "hub",
    )
    assert fields["robots"] == "obey"
    assert warcinfo.headers.get_header("WARC-Filename") == w.files[0]


def test_golden_bytes(tmp_path: Path) -> None:
    """Pinned clock and ids give exactly the bytes checked in (regenerate: NEWSHUB_GOLDEN=1)."""
    exchange = make_exchange(
        url="http://hub.example.org:8080/news/item?id=7",
        request_headers=[("User-Agent", "newshub-test"), ("Host", "hub.example.org:8080")],
        body=HTML[:120],
        response_headers=[
            ("Content-Type", "text/html"),
            ("Content-Length", "120"),
            ("Transfer-Encoding", "chunked"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("X-Latin", "caf\xe9"),
        ],
        ip_address="198.51.100.4",
        outlinks=["http://hub.example.org:8080/news/item?id=8"],
    )
    with pinned_writer(tmp_path) as writer:
        writer.write_exchange(exchange)
    produced = gzip.decompress((tmp_path / writer.files[0]).read_bytes())
    if os.environ.get("NEWSHUB_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(produced)
    assert writer.files == ["hub-20260102030400123-00000-crawl-01.example~4242.warc.gz"]
    assert produced == GOLDEN.read_bytes()


def test_file_is_open_while_writing_and_renamed_on_close(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, "hub")
    assert os.listdir(tmp_path) == []  # lazily opened: no empty files
    writer.write_exchange(make_exchange())
    (name,) = writer.files
    assert os.listdir(tmp_path) == [name + OPEN_SUFFIX]
    writer.close()
    writer.close()
    assert os.listdir(tmp_path) == [name]


def test_rotation_at_max_size(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, "hub", max_size=3_000) as writer:
        archived = [
            writer.write_exchange(make_exchange(url=f"http://a.test/{i}")) for i in range(6)
        ]
    assert len(writer.files) == 3  # two exchanges (~1.4 kB each) per file
    assert sorted(os.listdir(tmp_path)) == sorted(writer.files)
    assert [f.split("-")[2] for f in writer.files] == [f"{i:05d}" for i in range(len(writer.files))]
    seen = []
    for name in writer.files:
        records = read_all(tmp_path / name)
        assert records[0].record_type == "warcinfo"  # every file has its own
        assert sum(r.record_type == "warcinfo" for r in records) == 1
        info_id = records[0].headers.get_header("WARC-Record-ID")
        assert all(r.headers.get_header("WARC-Warcinfo-ID") == info_id for r in records[1:])
        seen += [(name, r.offset) for r in records if r.record_type == "response"]
    assert seen == [(a.warc_file, a.offset) for a in archived]


def test_compress_level_is_honoured(tmp_path: Path) -> None:
    sizes = {}
    for level in (1, 9):
        with WarcWriter(tmp_path / str(level), "hub", compress_level=level) as writer:
            archived = writer.write_exchange(make_exchange(body=HTML * 20))
        raw = (tmp_path / str(level) / writer.files[0]).read_bytes()
        member = raw[archived.offset : archived.offset + archived.length]
        # Recompressing the record at that level gives the very same member.
        assert gzip_member(zlib.decompress(member, zlib.MAX_WBITS | 16), level) == member
        sizes[level] = len(raw)
    assert sizes[9] < sizes[1]
    with pytest.raises(ValueError):
        WarcWriter(tmp_path, "hub", compress_level=10)


def test_file_names(tmp_path: Path) -> None:
    when = datetime(2026, 5, 9, 7, 35, 25, 987654, tzinfo=UTC)
    name = warc_filename("my source/x", when, 3, "host~name:1", 77)
    assert name == "my_source_x-20260509073525987-00003-host_name_1~77.warc.gz"
    assert request_target("http://a.test") == "/"
    assert request_target("http://a.test/p;x?q=1#frag") == "/p;x?q=1"
    assert host_header("https://u:p@a.test:443/") == "a.test"
    assert host_header("http://a.test:8080/") == "a.test:8080"


def test_two_writers_never_share_a_file(tmp_path: Path) -> None:
    clock = lambda: FETCHED  # noqa: E731 - same millisecond for both
    with (
        WarcWriter(tmp_path, "hub", clock=clock) as one,
        WarcWriter(tmp_path, "hub", clock=clock) as two,
    ):
        one.write_exchange(make_exchange())
        two.write_exchange(make_exchange())
    assert one.files != two.files
    assert len(os.listdir(tmp_path)) == 2


def test_request_body_and_non_ascii_header_bytes_round_trip(tmp_path: Path) -> None:
    exchange = make_exchange(
        method="POST",
        request_headers=[("Content-Length", "7"), ("Host", "a.test")],
        request_body=b"q=news!",
        response_headers=[("Content-Disposition", "attachment; filename=\xe9t\xe9.txt")],
        body=b"plain",
    )
    with WarcWriter(tmp_path, "hub") as writer:
        writer.write_exchange(exchange)
    raw = gzip.decompress((tmp_path / writer.files[0]).read_bytes())
    assert b"filename=\xe9t\xe9.txt\r\n" in raw  # latin-1 bytes as received, not %-encoded
    request = read_all(tmp_path / writer.files[0])[2]
    assert request.payload == b"q=news!"
    assert request.http_headers.protocol == "POST"


def test_warcio_cli_checks_and_indexes_every_file(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, "hub", max_size=3_000) as writer:
        archived = [
            writer.write_exchange(make_exchange(url=f"http://a.test/{i}", status=301, reason=""))
            for i in range(4)
        ]
    paths = [str(tmp_path / name) for name in writer.files]
    check = subprocess.run([WARCIO, "check", "-v", *paths], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 3 * len(archived) + len(paths)

    fields = "filename,offset,length,warc-type,warc-record-id"
    index = subprocess.run(
        [WARCIO, "index", "-f", fields, *paths], capture_output=True, text=True, check=True
    )
    rows = [json.loads(line) for line in index.stdout.splitlines()]
    responses = [
        (Path(row["filename"]).name, int(row["offset"]), int(row["length"]), row["warc-record-id"])
        for row in rows
        if row["warc-type"] == "response"
    ]
    assert responses == [(a.warc_file, a.offset, a.length, a.record_id) for a in archived]
