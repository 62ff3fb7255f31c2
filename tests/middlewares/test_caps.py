"""Caps: hostile hubs (calendar trap, path trap, a 100k-link page, a 50,000-sitemap index) end
by themselves within their caps and bounded memory; a normal demo hub hits no cap."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.utils.test import get_crawler

from crawler import settings as defaults
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.middlewares.caps import CrawlCaps

PEAK_RSS = 300 * 1024 * 1024


def caps() -> CrawlCaps:
    crawler = get_crawler(
        settings_dict={k: getattr(defaults, k) for k in dir(defaults) if k.isupper()}
    )
    return CrawlCaps.from_crawler(crawler)


def test_each_cap_by_itself() -> None:
    middleware = caps()
    ok = "http://hub.test/2026/05/05/story/"
    assert middleware.cap_hit(ok, 1, "links_per_page") is None
    assert middleware.cap_hit(ok, 1001, "links_per_page") == "links_per_page"
    assert middleware.cap_hit(ok, 1001, "sitemaps_per_index") == "sitemaps_per_index"
    assert middleware.cap_hit(ok, 50_000, "urls_per_sitemap") is None
    assert middleware.cap_hit(ok, 50_001, "urls_per_sitemap") == "urls_per_sitemap"
    assert middleware.cap_hit("http://hub.test/" + "x" * 2100, 1, "links_per_page") == "url_length"
    deep = "http://hub.test/" + "/".join(f"d{i}" for i in range(17)) + "/"
    assert middleware.cap_hit(deep, 1, "links_per_page") == "path_depth"
    assert middleware.cap_hit("http://hub.test/a/a/a/", 1, "links_per_page") is None
    assert middleware.cap_hit("http://hub.test/a/a/a/a/", 1, "links_per_page") == "repeated_segment"
    hits = [
        middleware.cap_hit(f"http://hub.test/cal?d={i}", 1, "links_per_page") for i in range(101)
    ]
    assert hits[:100] == [None] * 100 and hits[100] == "query_variants"
    assert middleware.cap_hit("https://hub.test/cal?d=1", 1, "links_per_page") is None  # apart
    # WordPress's plain permalinks are posts, not a calendar: any number of them is followed.
    assert all(
        middleware.cap_hit(f"http://hub.test/?p={i}", 1, "links_per_page") is None
        for i in range(500)
    )
    # A variant already seen (a link repeated on every page) is not a new one.
    assert middleware.cap_hit("http://hub.test/cal?d=7", 1, "links_per_page") is None


class Traps(BaseHTTPRequestHandler):
    """One hostile hub per `mode`: calendar, path, links or sitemaps."""

    mode = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            sitemap = f"Sitemap: http://{self.headers['Host']}/index.xml\n"
            return self.send(200, sitemap if self.mode == "sitemaps" else "", "text/plain")
        if parts.path == "/index.xml" and self.mode == "sitemaps":
            children = "".join(
                f"<sitemap><loc>http://{self.headers['Host']}/s/{i}.xml</loc></sitemap>"
                for i in range(50_000)
            )
            index = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            return self.send(200, f"{index}{children}</sitemapindex>", "application/xml")
        if self.mode == "calendar" and parts.path == "/calendar":
            day = date.fromisoformat(parse_qs(parts.query).get("date", ["2026-01-01"])[0])
            links = [f"/calendar?date={day + timedelta(days=d)}" for d in (-1, 1)]
        elif self.mode == "path" and parts.path.startswith("/a/"):
            links = ["a/"]
        elif self.mode == "links" and parts.path == "/":
            links = [f"/l/{i}" for i in range(100_000)]
        elif self.mode in ("links", "sitemaps") and parts.path in ("/", "/l/0"):
            links = []
        else:
            return self.send(404, "not here", "text/plain")
        body = "".join(f'<a href="{link}">{link}</a>\n' for link in links)
        self.send(200, f"<html><head><title>t</title></head><body>{body}</body></html>")

    def send(self, status: int, text: str, content_type: str = "text/html") -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def trap_server(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Trap", (Traps,), {"mode": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# Runs the crawl and prints its peak RSS (KiB). The measuring parent is this small process, not
# pytest: a child's ru_maxrss counts the memory it shared with its parent between fork and exec.
PEAK_OF_CHILD = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def crawl(home: str, tmp_path: Path) -> tuple[int, str, int]:
    """Exit status, stdout and peak RSS (bytes) of `newshub crawl` of home."""
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(tmp_path / "data"),
           "NEWSHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'newshub.db'}"}  # fmt: skip
    command = [sys.executable, "-c", PEAK_OF_CHILD, sys.executable, "-m", "crawler.cli", "crawl",
               "--url", home, "--name", "trap", "--concurrency", "16", "--delay", "0"]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=280)
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return result.returncode, result.stdout + result.stderr, peak_kib * 1024


def pages(output: str) -> int:
    line = next(line for line in output.splitlines() if line.startswith("pages"))
    return int(line.split()[1])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("trap_server", "start", "cap", "most_pages"),
    [
        ("calendar", "/calendar", "query_variants", 110),
        ("path", "/a/", "repeated_segment", 10),
        ("links", "/", "links_per_page", 1010),
        ("sitemaps", "/", "sitemaps_per_index", 1010),
    ],
    indirect=["trap_server"],
)
@pytest.mark.timeout(300)
def test_trap_ends_by_itself_within_its_cap(
    trap_server: str, start: str, cap: str, most_pages: int, tmp_path: Path
) -> None:
    status, output, peak = crawl(trap_server + start, tmp_path)
    assert status == 0, output[-3000:]
    assert "finished" in output and f"caps hit      {cap}" in output
    assert pages(output) <= most_pages
    assert peak <= PEAK_RSS, f"peak RSS {peak / 1e6:.0f} MB"


@pytest.mark.slow
def test_a_normal_hub_hits_no_cap(tmp_path: Path) -> None:
    hub = DemoHub(400, seed=21)
    with DemoServer(hub) as server:
        status, output, peak = crawl(server.url + "/", tmp_path)
    assert status == 0, output[-3000:]
    assert "articles      400 new" in output and "caps hit" not in output
    assert peak <= PEAK_RSS
