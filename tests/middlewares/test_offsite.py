"""HomeOffsiteMiddleware: off-site means another host, scheme or port than the source's home."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.misc import load_object

from crawler.config import Source
from crawler.middlewares.offsite import HomeOffsiteMiddleware, site_port
from crawler.spiders.hub import HubSpider
from tests.newshub_crawler import newshub_crawler
from tests.newshub_process import newshub


def offsite(home: str, **settings: object) -> HomeOffsiteMiddleware:
    crawler = newshub_crawler(HubSpider, **settings)
    crawler.spider = spider = HubSpider(Source("hub", home))
    middleware = HomeOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(spider)
    return middleware


def follows(middleware: HomeOffsiteMiddleware, url: str, **meta: object) -> bool:
    try:
        middleware.process_request(Request(url, meta=meta))
    except IgnoreRequest:
        return False
    return True


def test_host_scheme_and_port_of_the_home() -> None:
    middleware = offsite("http://127.0.0.1:8080/")
    assert follows(middleware, "http://127.0.0.1:8080/2026/05/01/story/")
    assert not follows(middleware, "http://127.0.0.1:8081/2026/05/01/story/")
    assert not follows(middleware, "http://127.0.0.1/")  # port 80
    assert not follows(middleware, "https://127.0.0.1:8080/")  # same port, other scheme
    assert not follows(middleware, "http://127.0.0.2:8080/")  # Scrapy's host check
    # Page requisites from elsewhere pass as in Scrapy, and so do dont_filter requests.
    assert follows(middleware, "http://127.0.0.1:8081/app.css", allow_offsite=True)
    middleware.process_request(Request("http://127.0.0.1:8081/x", dont_filter=True))
    assert middleware.stats.get_value("offsite/filtered") == 4


def test_http_and_https_on_default_ports_are_one_site() -> None:
    middleware = offsite("http://www.hub.test/")
    assert follows(middleware, "https://www.hub.test/a/")
    assert follows(middleware, "https://news.www.hub.test:443/a/")  # a subdomain, as in Scrapy
    assert not follows(middleware, "https://www.hub.test:8443/a/")
    assert not follows(middleware, "ftp://www.hub.test/a/")
    assert site_port(urlsplit("http://a.test:80/")) == site_port(urlsplit("https://a.test/"))
    assert site_port(urlsplit("http://a.test:8080/")) != site_port(urlsplit("https://a.test:8080/"))


def test_the_add_on_puts_it_in_place_of_scrapys() -> None:
    settings = newshub_crawler().settings
    base = {load_object(k): v for k, v in settings.getdict("DOWNLOADER_MIDDLEWARES_BASE").items()}
    assert OffsiteMiddleware not in base and base[HomeOffsiteMiddleware] == 50


class _Recorder(BaseHTTPRequestHandler):
    """The other site: a link and a redirect point here; nothing may be asked of it."""

    asked: list[str] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body><a href='/deeper'>x</a></body></html>")

    def log_message(self, format: str, *args: object) -> None:
        pass


def _hub_handler(other: str) -> type[BaseHTTPRequestHandler]:
    class Hub(BaseHTTPRequestHandler):
        asked: list[str] = []

        def do_GET(self) -> None:
            self.asked.append(self.path)
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", f"{other}/redirected")
                self.end_headers()
                return
            if self.path == "/robots.txt":
                self.send_response(404)
                self.end_headers()
                return
            body = (
                f"<html><body><a href='{other}/linked'>elsewhere</a>"
                "<a href='/moved'>moved</a><a href='/about'>about</a></body></html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Hub


@pytest.fixture
def servers() -> Iterator[tuple[str, list[str], list[str]]]:
    """(home URL, paths the hub was asked for, paths the other port was asked for)."""
    other = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    other_url = f"http://127.0.0.1:{other.server_address[1]}"
    hub_handler = _hub_handler(other_url)
    hub = ThreadingHTTPServer(("127.0.0.1", 0), hub_handler)
    _Recorder.asked = []
    for server in (other, hub):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{hub.server_address[1]}/", hub_handler.asked, _Recorder.asked
    finally:
        for server in (other, hub):
            server.shutdown()
            server.server_close()


def test_a_link_and_a_redirect_to_another_port_are_not_fetched(
    servers: tuple[str, list[str], list[str]], tmp_path: Path
) -> None:
    home, hub_asked, other_asked = servers
    database = f"sqlite:///{tmp_path / 'newshub.db'}"
    result = newshub("crawl", "--url", home, "--delay", "0", data=tmp_path, database_url=database)
    assert result.returncode == 0, result.stderr
    assert {"/", "/moved", "/about"} <= set(hub_asked), "the hub itself is crawled"
    assert other_asked == [], "nothing on the other port: no link, no redirect, no robots.txt"
