"""RequisitesMiddleware: which page requisites an archived page asks for, and how often."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, TextResponse
from sqlalchemy import Engine, insert

from crawler.config import Source
from crawler.middlewares.requisites import RequisitesMiddleware
from crawler.references import css_references, html_references, srcset_urls
from crawler.spiders.hub import HubSpider
from pipelines.db.models import Capture
from pipelines.db.runs import ensure_source
from pipelines.warc.records import HttpExchange
from pipelines.warc.writer import WarcWriter
from tests.newshub_crawler import newshub_crawler

ARTICLE = b"""<!doctype html><html><head>
<base href="http://hub.test/">
<link rel="stylesheet" href="/wp-content/themes/hub/style.css?ver=6.5">
<link rel="Stylesheet preload" href="theme.css">
<link rel="icon" href="/favicon.ico"><link rel="alternate" href="/feed/">
<link rel="preload" as="font" href="/fonts/vazir.woff2" crossorigin>
<link rel="preload" as="document" href="/not-a-requisite/">
<link rel="canonical" href="http://hub.test/2026/05/01/x/">
<meta property="og:image" content="http://hub.test/og.jpg">
<style>@import "print.css"; .logo { background: url('/img/logo.svg') }</style>
<script src="https://cdn.hub-static.test/js/app.js"></script>
<script type="application/ld+json">{"@type": "NewsArticle"}</script>
</head><body style="background-image: url(/img/bg.png)">
<h1>Title</h1>
<img src="/wp-content/uploads/a.jpg" srcset="/a-300.jpg 300w, /a-600.jpg 600w">
<img data-src="/lazy.jpg" src="data:image/gif;base64,R0lGOD">
<picture><source srcset="/b.webp 1x, /b@2x.webp 2x"></picture>
<img src="https://tracker.example.net/pixel.gif">
<img src="/wp-content/uploads/a.jpg#again">
<a href="/other-article/">link, not a requisite</a>
</body></html>"""
LISTING = b"""<html><body class="home blog"><link rel="stylesheet" href="/style.css">
<img src="/thumb.jpg"></body></html>"""
CSS = b"""@import url("reset.css");
/* url(commented-out.png) */
@font-face { src: url(../fonts/vazir.woff2) format("woff2"), url( 'fonts/vazir.woff' ); }
.hero { background: url(data:image/png;base64,AAAA) }
"""


def middleware(**settings: Any) -> RequisitesMiddleware:
    """The middleware of a hub spider (it reads allowed_domains, source, parse_requisite)."""
    source = Source(name="hub", home="http://hub.test/", requisite_domains=("hub-static.test",))
    crawler = newshub_crawler(HubSpider, **settings)
    crawler.spider = HubSpider(source)
    return RequisitesMiddleware.from_crawler(crawler)


def page(url: str = "http://hub.test/2026/05/01/x/", body: bytes = ARTICLE, **meta: Any):
    request = Request(url, meta={"hops": "L", **meta})
    return HtmlResponse(url, body=body, request=request, headers={"Content-Type": "text/html"})


def stylesheet(url: str, **meta: Any) -> TextResponse:
    request = Request(url, meta={"hops": "LE", "requisite": True, **meta})
    return TextResponse(url, body=CSS, request=request, headers={"Content-Type": "text/css"})


def urls(requests: list[Request]) -> list[str]:
    return [r.url for r in requests]


def test_html_references_cover_what_a_browser_fetches() -> None:
    found = html_references(Selector(body=ARTICLE, type="html"))
    assert found[:4] == [
        "/wp-content/themes/hub/style.css?ver=6.5",
        "theme.css",
        "/favicon.ico",
        "/fonts/vazir.woff2",
    ]
    for expected in (
        "https://cdn.hub-static.test/js/app.js",
        "/wp-content/uploads/a.jpg",
        "/a-600.jpg",
        "/lazy.jpg",
        "/b@2x.webp",
        "print.css",
        "/img/logo.svg",
        "/img/bg.png",
    ):
        assert expected in found
    for absent in ("/feed/", "/not-a-requisite/", "/other-article/", "http://hub.test/og.jpg"):
        assert absent not in found
    assert "http://hub.test/og.jpg" in html_references(Selector(body=ARTICLE, type="html"), True)


def test_css_and_srcset_parsing() -> None:
    assert css_references(CSS.decode()) == [
        "reset.css",
        "../fonts/vazir.woff2",
        "fonts/vazir.woff",
        "data:image/png;base64,AAAA",
    ]
    assert css_references("@import 'a.css'; @import \"b.css\" screen;") == ["a.css", "b.css"]
    # As HTML parses it: a URL runs to whitespace (commas included), descriptors to a comma.
    assert srcset_urls("a.jpg 1x,b,c.jpg 2x, https://x.test/d,e.jpg 3x") == [
        "a.jpg",
        "b,c.jpg",
        "https://x.test/d,e.jpg",
    ]
    assert srcset_urls(" a.jpg, b.jpg ,, c.jpg 100w") == ["a.jpg", "b.jpg", "c.jpg"]


def test_article_asks_for_same_site_and_extra_domain_requisites_once() -> None:
    mw = middleware()
    spider = mw.crawler.spider
    assert isinstance(spider, HubSpider)
    requests = list(mw.process_spider_output(page(), []))
    got = urls(requests)
    assert got[0] == "http://hub.test/wp-content/themes/hub/style.css?ver=6.5"
    assert "http://hub.test/theme.css" in got and "http://hub.test/print.css" in got
    assert "https://cdn.hub-static.test/js/app.js" in got  # an extra domain of the source
    assert not [u for u in got if "tracker.example.net" in u or u.startswith("data:")]
    assert got.count("http://hub.test/wp-content/uploads/a.jpg") == 1  # fragment dropped
    assert len(got) == len(set(got))
    for request in requests:
        assert request.meta["hops"] == "LE" and request.meta["requisite"] is True
        assert request.callback == spider.parse_requisite and request.priority == 30
        assert request.meta.get("allow_offsite", False) == ("cdn." in request.url)
    assert list(spider.parse_requisite(page())) == []
    # A second article with the same theme asks for nothing already asked for.
    again = urls(list(mw.process_spider_output(page("http://hub.test/2026/05/02/y/"), [])))
    assert again == []


def test_stylesheets_ask_for_their_imports_and_fonts() -> None:
    mw = middleware()
    got = urls(mw.requisites(stylesheet("http://hub.test/wp-content/themes/hub/style.css")))
    assert got == [
        "http://hub.test/wp-content/themes/hub/reset.css",
        "http://hub.test/wp-content/themes/fonts/vazir.woff2",
        "http://hub.test/wp-content/themes/hub/fonts/vazir.woff",
    ]
    requests = mw.requisites(stylesheet("http://hub.test/x.css"))
    assert all(r.meta["hops"] == "LEE" for r in requests)


def test_listings_errors_and_non_html_ask_for_nothing_by_default() -> None:
    mw = middleware()
    assert mw.requisites(page("http://hub.test/", LISTING)) == []
    not_found = HtmlResponse("http://hub.test/x/", status=404, body=ARTICLE)
    assert mw.requisites(not_found) == []
    feed = TextResponse(
        "http://hub.test/feed/", body=b"<rss/>", headers={"Content-Type": "text/xml"}
    )
    assert mw.requisites(feed) == []
    # A requisite that is not a stylesheet (a script, an image) references nothing.
    script = TextResponse(
        "http://hub.test/app.js",
        body=b"url(x.png)",
        request=Request("http://hub.test/app.js", meta={"requisite": True}),
        headers={"Content-Type": "application/javascript"},
    )
    assert mw.requisites(script) == []
    listings = middleware(REQUISITES_PAGE_KINDS=["article", "listing"])
    assert urls(listings.requisites(page("http://hub.test/", LISTING))) == [
        "http://hub.test/style.css",
        "http://hub.test/thumb.jpg",
    ]


def test_limits_per_page_and_per_run() -> None:
    assert len(middleware(REQUISITES_MAX_PER_PAGE=3).requisites(page())) == 3
    capped = middleware(REQUISITES_MAX_TOTAL=5)
    assert len(capped.requisites(page())) == 5
    assert capped.requisites(stylesheet("http://hub.test/x.css")) == []
    assert capped.crawler.stats.get_value("newshub/requisites/over_limit") == 2


def test_async_spider_output_passes_through_then_adds_requisites() -> None:
    mw = middleware()

    async def spider_output() -> AsyncIterator[Any]:
        yield {"item": 1}

    async def collect() -> list[Any]:
        return [x async for x in mw.process_spider_output_async(page(), spider_output())]

    out = asyncio.run(collect())
    assert out[0] == {"item": 1} and all(isinstance(r, Request) for r in out[1:]) and out[1:]


def test_disabled_by_setting_and_registered_in_the_project() -> None:
    with pytest.raises(NotConfigured):
        middleware(REQUISITES_ENABLED=False)
    # Above DepthMiddleware (900): its requests pass Depth, Referer and the offsite filter.
    registered = newshub_crawler().settings.getdict("SPIDER_MIDDLEWARES")
    assert registered[RequisitesMiddleware] > 900


def test_off_for_a_spider_without_a_requisite_callback() -> None:
    """Requisite requests need a spider method as callback to survive serialization."""
    with pytest.raises(NotConfigured, match="parse_requisite"):
        RequisitesMiddleware.from_crawler(newshub_crawler())


def capture(
    engine: Engine,
    writer: WarcWriter,
    source: Source,
    url: str,
    days_ago: float,
    status: int = 200,
    location: str | None = None,
) -> None:
    """Archive one response (WARC record and captures row) as an earlier run would have."""
    headers = [("Content-Type", "image/png")] + ([("Location", location)] if location else [])
    exchange = HttpExchange(
        url=url,
        method="GET",
        request_headers=[("Host", url.split("/")[2])],
        request_body=b"",
        protocol="HTTP/1.1",
        status=status,
        reason="",
        response_headers=headers,
        body=b"" if location else b"\x89PNG",
        ip_address=None,
        fetched_at=datetime.now(UTC) - timedelta(days=days_ago),
        duration=None,
    )
    record = writer.write_exchange(exchange)
    with engine.begin() as connection:
        connection.execute(
            insert(Capture).values(
                source_id=ensure_source(engine, source),
                url=url,
                status=status,
                content_type="image/png",
                fetched_at=record.date,
                size=len(exchange.body),
                payload_digest=record.payload_digest,
                record_type=record.record_type,
                warc_file=record.warc_file,
                warc_offset=record.offset,
                warc_length=record.length,
                warc_record_id=record.record_id,
            )
        )


def test_a_recrawl_asks_only_for_requisites_not_archived_recently(
    engine: Engine, tmp_path: Path
) -> None:
    hub = Source(name="hub", home="http://hub.test/")
    other = Source(name="other", home="http://other.test/")
    style = "http://hub.test/wp-content/themes/hub/style.css?ver=6.5"
    with WarcWriter(tmp_path, "hub") as writer:
        capture(engine, writer, hub, style, days_ago=2)  # archived: not asked again
        capture(engine, writer, hub, "http://hub.test/theme.css", days_ago=40)  # too old
        capture(engine, writer, hub, "http://hub.test/lazy.jpg", days_ago=1, status=404)
        capture(engine, writer, other, "http://hub.test/print.css", days_ago=1)  # not this source
        # Archived through a redirect (relative Location), and a redirect to nothing archived.
        capture(engine, writer, hub, "http://hub.test/favicon.ico", 3, 301, "/img/icon.png")
        capture(engine, writer, hub, "http://hub.test/img/icon.png", days_ago=3)
        capture(engine, writer, hub, "http://hub.test/img/logo.svg", 3, 302, "/img/gone.svg")
    database = engine.url.render_as_string(hide_password=False)

    def asked(**settings: Any) -> list[str]:
        mw = middleware(DB_URL=database, WARC_DIR=str(tmp_path), **settings)
        assert mw.crawler.spider is not None
        asyncio.run(mw.spider_opened(mw.crawler.spider))
        got = urls(mw.requisites(page()))
        stats = mw.crawler.stats
        assert stats is not None and stats.get_value("newshub/requisites/requested") == len(got)
        skipped = stats.get_value("newshub/requisites/archived", 0)
        assert skipped == len(everything) - len(got)
        return got

    everything = urls(middleware().requisites(page()))
    got = asked()
    assert style not in got and "http://hub.test/favicon.ico" not in got
    assert set(everything) - set(got) == {style, "http://hub.test/favicon.ico"}
    for url in (
        "http://hub.test/theme.css",  # archived 40 days ago: outside the 30-day window
        "http://hub.test/lazy.jpg",  # archived, but as a 404
        "http://hub.test/print.css",  # archived for another source
        "http://hub.test/img/logo.svg",  # its redirect leads to nothing archived
        "http://hub.test/wp-content/uploads/a.jpg",  # new
    ):
        assert url in got
    assert asked(REQUISITES_REFRESH_DAYS=45) == [u for u in got if u != "http://hub.test/theme.css"]
    assert asked(REQUISITES_REFRESH_DAYS=0) == everything  # 0: always refetch


def test_requests_survive_serialization_with_the_hub_spider() -> None:
    """Disk queues and a shared Redis frontier store callbacks by name: it must be a spider's."""
    from scrapy.utils.request import request_from_dict

    source = Source(name="hub", home="http://hub.test/")
    crawler = newshub_crawler(HubSpider)
    crawler.spider = spider = HubSpider(source)
    mw = RequisitesMiddleware.from_crawler(crawler)
    requests = list(mw.process_spider_output(page(), []))
    assert requests
    for request in requests:
        restored = request_from_dict(request.to_dict(spider=spider), spider=spider)
        assert restored.callback == spider.parse_requisite
        assert restored.meta["requisite"] is True
