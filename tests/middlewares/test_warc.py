"""WarcCaptureMiddleware: what Scrapy hands it, as the server sent it, lands in WARC."""

from __future__ import annotations

import gzip
import ipaddress
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider, signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response

from crawler.middlewares.warc import WarcCaptureMiddleware
from crawler.signals import capture_archived
from pipelines.warc.recover import iter_records
from tests.newshub_crawler import newshub_crawler

HTML = b"<!doctype html><title>Hub</title>" + b"<p>Breaking news.</p>" * 200
GZ = gzip.compress(HTML, mtime=0)
CAPTURE_KEYS = {
    "url",
    "status",
    "content_type",
    "fetched_at",
    "payload_digest",
    "warc_file",
    "warc_offset",
    "warc_length",
    "warc_record_id",
    "record_type",
    "size",
}


class Harness:
    """A crawler with the middleware and spider_opened fired, collecting capture signals."""

    def __init__(self, directory: Path, **settings: Any) -> None:
        values = {
            "WARC_ENABLED": True,
            "WARC_DIR": str(directory),
            "WARC_PREFIX": "hub",
            "WARC_OPERATOR": "ops@example.org",
            "WARC_RUN_ID": "run-1",
            "USER_AGENT": "newshub-test",
            "WARC_DEDUP_ENABLED": False,  # tests/pipelines/warc/test_dedup.py covers it
            **settings,
        }
        self.directory = directory
        self.crawler = newshub_crawler(Spider, **values)
        self.middleware = WarcCaptureMiddleware.from_crawler(self.crawler)
        self.spider = Spider(name="hub")
        self.captures: list[tuple[dict[str, Any], Spider]] = []
        self.crawler.signals.connect(self._captured, signal=capture_archived)
        self.crawler.signals.send_catch_log(signals.spider_opened, spider=self.spider)

    def _captured(self, capture: dict[str, Any], spider: Spider) -> None:
        self.captures.append((capture, spider))

    def close(self) -> list:
        self.crawler.signals.send_catch_log(signals.spider_closed, spider=self.spider, reason="x")
        return [r for name in self.files() for r in iter_records(self.directory / name)]

    def files(self) -> list[str]:
        return self.crawler.stats.get_value("newshub/warc_files")

    def stat(self, name: str) -> Any:
        return self.crawler.stats.get_value(name)


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def gzip_response(url: str = "http://hub.test/news/") -> HtmlResponse:
    headers = {
        "Content-Length": str(len(GZ)),
        "Content-Type": "text/html; charset=utf-8",
        "Content-Encoding": "gzip",
        "Set-Cookie": ["session=abc; Path=/", "consent=yes; Path=/"],
    }
    return HtmlResponse(
        url,
        headers=headers,
        body=GZ,
        ip_address=ipaddress.ip_address("127.0.0.1"),
        protocol="HTTP/1.1",
    )


def news_request(url: str = "http://hub.test/news/") -> Request:
    return Request(
        url,
        headers={"Accept-Encoding": "gzip, deflate", "Referer": "http://hub.test/"},
        meta={"download_latency": 0.2, "hops": "LL"},
    )


def by_type(records: list, record_type: str) -> list:
    return [r for r in records if r.record_type == record_type]


def test_disabled_by_setting(tmp_path: Path) -> None:
    crawler = newshub_crawler(Spider, WARC_ENABLED=False)
    with pytest.raises(NotConfigured):
        WarcCaptureMiddleware.from_crawler(crawler)


def test_gzip_body_is_archived_before_decompression(harness: Harness) -> None:
    request, response = news_request(), gzip_response()
    assert harness.middleware.process_response(request, response) is response
    # What HttpCompressionMiddleware (590) makes of it afterwards: the decoded page.
    decoded = HttpCompressionMiddleware.from_crawler(harness.crawler).process_response(
        request, response
    )
    assert decoded.body == HTML and b"Content-Encoding" not in decoded.headers

    (stored,) = by_type(harness.close(), "response")
    http = stored.http_headers
    assert http.get_header("Content-Encoding") == "gzip"
    assert stored.payload == GZ and stored.payload[:2] == b"\x1f\x8b"
    assert int(http.get_header("Content-Length")) == len(stored.payload) != len(HTML)
    # A writer behind the decompression would have had neither these bytes nor the header.
    assert stored.payload != decoded.body and gzip.decompress(stored.payload) == decoded.body
    cookies = [value for name, value in http.headers if name == "Set-Cookie"]
    assert cookies == ["session=abc; Path=/", "consent=yes; Path=/"]
    assert stored.headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert (http.protocol, http.statusline) == ("HTTP/1.1", "200 OK")


def test_signal_meta_and_stats(harness: Harness) -> None:
    request = news_request()
    harness.middleware.process_response(request, gzip_response())
    records = harness.close()

    ((capture, spider),) = harness.captures
    assert spider is harness.spider
    assert set(capture) == CAPTURE_KEYS
    (stored,) = by_type(records, "response")
    assert capture["warc_record_id"] == request.meta["warc_record_id"]
    assert capture["warc_record_id"] == stored.headers.get_header("WARC-Record-ID")
    assert (capture["warc_offset"], capture["warc_length"]) == (stored.offset, stored.length)
    assert capture["payload_digest"] == stored.headers.get_header("WARC-Payload-Digest")
    assert capture["url"] == "http://hub.test/news/" and capture["status"] == 200
    assert capture["content_type"] == "text/html; charset=utf-8"
    assert capture["record_type"] == "response" and capture["size"] == len(GZ)
    assert capture["fetched_at"].tzinfo is not None
    assert capture["warc_file"] == harness.files()[0]

    assert harness.stat("warc/records") == 1
    assert harness.stat("warc/files") == 1
    size = (harness.directory / harness.files()[0]).stat().st_size
    assert harness.stat("warc/bytes_written") == size

    (metadata,) = by_type(records, "metadata")
    assert metadata.payload.decode().splitlines() == [
        "via: http://hub.test/",
        "hopsFromSeed: LL",
        "fetchTimeMs: 200",
    ]
    (warcinfo,) = by_type(records, "warcinfo")
    info = warcinfo.payload.decode()
    for line in ("operator: ops@example.org", "runId: run-1", "isPartOf: hub", "spider: hub"):
        assert line in info.splitlines()


def test_request_line_host_and_body(harness: Harness) -> None:
    request = Request(
        "http://hub.test:8080/a/b?x=1#frag", method="POST", body=b"q=1", headers={"X-A": "1"}
    )
    harness.middleware.process_response(request, Response("http://hub.test:8080/a/b?x=1"))
    (stored,) = by_type(harness.close(), "request")
    http = stored.http_headers
    assert (http.protocol, http.statusline) == ("POST", "/a/b?x=1 HTTP/1.1")
    # Twisted sends Content-Length first and adds Host last.
    assert http.headers == [("Content-Length", "3"), ("X-A", "1"), ("Host", "hub.test:8080")]
    assert stored.payload == b"q=1"


def test_redirect_and_chunked_framing(harness: Harness) -> None:
    moved = Response("http://hub.test/old", status=301, headers={"Location": "/new"})
    chunked = Response(
        "http://hub.test/new",
        headers={"Transfer-Encoding": "chunked", "Content-Encoding": "gzip"},
        body=GZ,
    )
    harness.middleware.process_response(Request("http://hub.test/old"), moved)
    harness.middleware.process_response(Request("http://hub.test/new"), chunked)
    first, second = by_type(harness.close(), "response")
    assert first.http_headers.statusline == "301 Moved Permanently"
    assert first.http_headers.get_header("Location") == "/new"
    assert second.http_headers.get_header("Transfer-Encoding") is None
    assert second.payload == GZ


def test_cached_and_non_http_responses_are_skipped(harness: Harness) -> None:
    cached = Response("http://hub.test/", body=b"old", flags=["cached"])
    harness.middleware.process_response(Request("http://hub.test/"), cached)
    data = Response("data:,hi", body=b"hi")
    harness.middleware.process_response(Request("data:,hi"), data)
    assert harness.close() == [] and harness.captures == []
    assert harness.files() == []


def test_write_errors_are_logged_and_raised(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(exchange: Any) -> None:
        raise OSError(28, "No space left on device")

    harness.middleware.writer.write_exchange = fail  # type: ignore[union-attr,method-assign]
    # Raised as IgnoreRequest (no traceback per request); the storage guard stops the crawl.
    with caplog.at_level(logging.ERROR), pytest.raises(IgnoreRequest, match="No space") as raised:
        harness.middleware.process_response(news_request(), gzip_response())
    assert isinstance(raised.value.__cause__, OSError)
    assert "Could not write http://hub.test/news/ to WARC" in caplog.text
    assert harness.stat("warc/errors") == 1
    assert "No space left" in harness.stat("warc/write_error")
    assert harness.captures == []


# --- A real crawl against a local server -------------------------------------------------

CHUNKED_GZ = gzip.compress(b"<html><p>chunked " + b"words " * 500 + b"</p></html>", mtime=0)
ROBOTS = b"User-agent: *\nDisallow: /private\n"


class _Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _head(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def do_GET(self) -> None:
        if self.path == "/":
            self._head(
                200,
                [
                    ("Content-Type", "text/html"),
                    ("Content-Encoding", "gzip"),
                    ("Content-Length", str(len(GZ_HOME))),
                    ("Set-Cookie", "session=abc; Path=/"),
                    ("Set-Cookie", "consent=yes; Path=/"),
                ],
            )
            self.wfile.write(GZ_HOME)
        elif self.path == "/chunked":
            self._head(
                200,
                [
                    ("Content-Type", "text/html"),
                    ("Content-Encoding", "gzip"),
                    ("Transfer-Encoding", "chunked"),
                ],
            )
            third = len(CHUNKED_GZ) // 3 + 1
            for start in range(0, len(CHUNKED_GZ), third):
                chunk = CHUNKED_GZ[start : start + third]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/old":
            self._head(301, [("Location", "/new"), ("Content-Length", "0")])
        elif self.path in ("/new", "/robots.txt"):
            body = ROBOTS if self.path == "/robots.txt" else b"<html><p>new home</p></html>"
            self._head(200, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            self.wfile.write(body)
        else:
            self._head(404, [("Content-Length", "0")])


GZ_HOME = gzip.compress(
    b'<html><a href="/chunked">c</a><a href="/old">o</a><p>home</p></html>', mtime=0
)

_CRAWL = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

base, warc_dir, obey, feed = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]

class Site(scrapy.Spider):
    name = "site"
    start_urls = [base + "/"]

    def parse(self, response):
        yield {"url": response.url, "text": response.text,
               "warc_record_id": response.meta.get("warc_record_id")}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href)

process = CrawlerProcess(settings={
    "ADDONS": {"crawler.addon.NewshubAddon": 0},
    "DB_URL": "",
    "WARC_DEDUP_ENABLED": False,
    "WARC_DIR": warc_dir,
    "WARC_PREFIX": "site",
    "ROBOTSTXT_OBEY": obey,
    "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False,
    "FEEDS": {feed: {"format": "jsonlines"}},
})
process.crawl(Site)
process.start()
"""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("obey", [True, False], ids=["robots-obeyed", "robots-ignored"])
def test_real_crawl_archives_the_wire(site: str, tmp_path: Path, obey: bool) -> None:
    feed = tmp_path / "items.jsonl"
    warcs = tmp_path / "warcs"
    root = Path(__file__).resolve().parents[2]
    crawl = subprocess.run(
        [sys.executable, "-c", _CRAWL, site, str(warcs), "1" if obey else "0", str(feed)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crawl.returncode == 0, crawl.stderr
    (name,) = [p.name for p in warcs.iterdir()]
    assert name.endswith(".warc.gz")  # closed and renamed
    records = list(iter_records(warcs / name))
    assert all(r.digests_ok for r in records)
    responses = {
        r.headers.get_header("WARC-Target-URI").removeprefix(site): r
        for r in by_type(records, "response")
    }
    expected = {"/", "/chunked", "/old", "/new"} | ({"/robots.txt"} if obey else set())
    assert set(responses) == expected

    home = responses["/"].http_headers
    assert responses["/"].payload == GZ_HOME  # the server's gzip bytes, untouched
    assert home.get_header("Content-Encoding") == "gzip"
    assert int(home.get_header("Content-Length")) == len(GZ_HOME)
    cookies = [v for n, v in home.headers if n.lower() == "set-cookie"]
    assert cookies == ["session=abc; Path=/", "consent=yes; Path=/"]
    assert responses["/"].headers.get_header("WARC-IP-Address") == "127.0.0.1"

    chunked = responses["/chunked"]
    assert chunked.payload == CHUNKED_GZ  # de-chunked, still gzip
    assert chunked.http_headers.get_header("Transfer-Encoding") is None
    assert chunked.http_headers.get_header("Content-Encoding") == "gzip"

    moved = responses["/old"].http_headers
    assert moved.statusline == "301 Moved Permanently" and moved.get_header("Location") == "/new"
    if obey:
        assert responses["/robots.txt"].payload == ROBOTS

    requests = {
        r.headers.get_header("WARC-Concurrent-To"): r.http_headers
        for r in by_type(records, "request")
    }
    home_request = requests[responses["/"].headers.get_header("WARC-Record-ID")]
    assert home_request.statusline == "/ HTTP/1.1"
    assert home_request.get_header("Host") == site.removeprefix("http://")

    items = {json.loads(line)["url"].removeprefix(site): json.loads(line) for line in feed.open()}
    assert "home" in items["/"]["text"] and "chunked words" in items["/chunked"]["text"]
    ids = {r.headers.get_header("WARC-Record-ID") for r in responses.values()}
    assert {item["warc_record_id"] for item in items.values()} <= ids


def test_files_left_open_by_a_dead_run_are_recovered_on_open(tmp_path: Path) -> None:
    earlier = Harness(tmp_path)
    earlier.middleware.process_response(news_request(), gzip_response())
    writer = earlier.middleware.writer
    assert writer is not None
    name = writer.files[0]
    os.close(writer._file._fd)  # type: ignore[union-attr]  # the process dies: lock gone

    later = Harness(tmp_path)

    assert (tmp_path / name).exists() and not (tmp_path / (name + ".open")).exists()
    assert later.stat("warc/recovery/recovered") == 1
    assert len(list(iter_records(tmp_path / name))) == 4
