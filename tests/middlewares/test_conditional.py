"""The recrawl middlewares and policy in-process: validators out, 304s in, links held back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from sqlalchemy import Engine, insert, select, update

from crawler import spool
from crawler.config import Source
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.middlewares.incremental import IncrementalMiddleware
from crawler.middlewares.repeats import RepeatedLinksMiddleware
from crawler.recrawl_policy import (
    NEXT_PAGE,
    SOURCE_LASTMOD,
    SOURCE_MODIFIED,
    RecrawlPolicy,
    listing_root,
    spread,
)
from pipelines.db.known_articles import KnownArticle
from pipelines.db.models import ArticleRow
from pipelines.db.runs import ensure_source, finish_run, start_run
from tests.newshub_crawler import newshub_crawler

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
OLD = "http://hub.test/2026/01/10/old-story/"
RECENT = "http://hub.test/2026/11/27/fresh-story/"
NEW = "http://hub.test/2026/11/28/brand-new-story/"


def known(published: datetime, last_seen: datetime, **kw: Any) -> KnownArticle:
    return KnownArticle(published, published, last_seen, **kw)


def test_policy() -> None:
    policy = RecrawlPolicy(recheck_days=3, recheck_interval=3600, recheck_old_days=30)
    old = known(NOW - timedelta(days=300), NOW - timedelta(days=2))
    assert policy.reason(OLD, old, None, NOW) is None
    assert policy.reason(OLD, old, NOW - timedelta(days=5), NOW) is None  # lastmod: unchanged
    assert policy.reason(OLD, old, NOW - timedelta(hours=1), NOW) == "changed"
    naive = (NOW - timedelta(hours=1)).replace(tzinfo=None)
    assert policy.reason(OLD, old, naive, NOW) == "changed"  # no zone: UTC
    forgotten = known(NOW - timedelta(days=300), NOW - timedelta(days=46))
    assert policy.reason(OLD, forgotten, None, NOW) == "due"  # 30 days x at most 1.5
    fresh = known(NOW - timedelta(days=1), NOW - timedelta(hours=2))
    assert policy.reason(RECENT, fresh, None, NOW) == "recent"
    just_seen = known(NOW - timedelta(days=1), NOW - timedelta(minutes=5))
    assert policy.reason(RECENT, just_seen, None, NOW) is None
    assert {0.5 <= spread(f"http://hub.test/{i}/") < 1.5 for i in range(100)} == {True}


def test_policy_trusts_the_sources_own_signal_over_clocks() -> None:
    policy = RecrawlPolicy(recheck_days=3, recheck_interval=3600, recheck_old_days=30)
    old = known(
        NOW - timedelta(days=300),
        NOW - timedelta(days=2),
        source_modified="2026-01-10T08:00:00",
        source_lastmod="2026-01-10T11:30:00+03:30",
    )
    same = {SOURCE_MODIFIED: "2026-01-10T08:00:00"}
    backdated = {SOURCE_MODIFIED: "2026-01-09T08:00:00"}  # older than before: still a change
    assert policy.reason(OLD, old, NOW, NOW, same) is None  # a clock-based lastmod is ignored
    assert policy.reason(OLD, old, NOW - timedelta(days=300), NOW, backdated) == "changed"
    # A sitemap lastmod in another zone or format counts by its text, not by its instant.
    assert policy.reason(OLD, old, None, NOW, {SOURCE_LASTMOD: "2026-01-10T08:00:00Z"}) == (
        "changed"
    )
    assert policy.reason(OLD, old, None, NOW, {SOURCE_LASTMOD: "2026-01-10T11:30:00+03:30"}) is None
    # Nothing recorded: the dates decide, as before.
    plain = known(NOW - timedelta(days=300), NOW - timedelta(days=2))
    assert policy.reason(OLD, plain, NOW - timedelta(days=5), NOW, same) is None
    assert policy.reason(OLD, plain, NOW - timedelta(hours=1), NOW, same) == "changed"


def test_listing_root() -> None:
    assert listing_root("http://hub.test/category/x/page/3/") == "http://hub.test/category/x/"
    assert listing_root("http://hub.test/?paged=2") == "http://hub.test/"
    assert listing_root("http://hub.test/news/?page=2&cat=1") == "http://hub.test/news/?cat=1"


class HubLike(Spider):
    name = "hub"
    source = Source("hub", "http://hub.test/")


def seed(engine: Engine, *, completed: bool = True) -> int:
    source_id = ensure_source(engine, HubLike.source)
    rows = [
        (OLD, NOW - timedelta(days=300), '"old-v1"', "Sat, 10 Jan 2026 08:00:00 GMT"),
        (RECENT, NOW - timedelta(days=1), None, None),
    ]
    with engine.begin() as connection:
        for url, published, etag, modified in rows:
            connection.execute(
                insert(ArticleRow).values(
                    source_id=source_id,
                    url=url,
                    content_hash="h",
                    extractor_version="v",
                    tags=[],
                    links=[],
                    published_at=published,
                    first_seen=published,
                    last_seen=NOW - timedelta(minutes=30),
                    etag=etag,
                    last_modified=modified,
                )
            )
    run, _ = start_run(engine, source_id)
    stats = {"finish_reason": "finished" if completed else "max_articles"}
    finish_run(engine, run, status="finished", counts={}, stats=stats)
    return source_id


def run_through(
    process: Callable[[Response, AsyncIterator[Any]], AsyncIterator[Any]],
    response: Response,
    entries: Iterable[Any],
) -> list[Any]:
    """A spider middleware's output for entries as the spider's output."""

    async def source() -> AsyncIterator[Any]:
        for entry in entries:
            yield entry

    async def collect() -> list[Any]:
        return [x async for x in process(response, source())]

    return asyncio.run(collect())


class Harness:
    """A crawler with both recrawl middlewares, the archive loaded as at spider open.

    Without an engine there is no `crawler.get_downloader_middleware`: the harness hands the
    conditional middleware's state to the incremental one, as its spider_opened does in a crawl
    (tests/test_incremental.py runs real crawls).
    """

    def __init__(self, database_url: str, **settings: Any) -> None:
        self.crawler = newshub_crawler(HubLike, DB_URL=database_url, **settings)
        self.crawler.spider = self.spider = HubLike()
        self.conditional = ConditionalRequestMiddleware.from_crawler(self.crawler)
        self.incremental = IncrementalMiddleware.from_crawler(self.crawler)
        self.incremental.state = self.conditional.state
        self.incremental.repeats = self.repeats = RepeatedLinksMiddleware(self.crawler)
        self.incremental.clock = lambda: NOW
        self.crawler.stats.open_spider()  # type: ignore[union-attr]
        asyncio.run(self.conditional.spider_opened(self.spider))

    def output(self, response: Response, entries: Iterable[Any]) -> list[Any]:
        return run_through(self.incremental.process_spider_output, response, entries)

    def send_on(self, response: Response, requests: list[Request]) -> list[Any]:
        """What the repeated-links middleware, next in the chain, lets through of requests."""
        return run_through(self.repeats.process_spider_output, response, requests)

    def stat(self, key: str) -> Any:
        return self.crawler.stats.get_value(key)  # type: ignore[union-attr]


def rows_after_close(harness: Harness, engine: Engine) -> dict[str, Any]:
    """The archived articles by URL once the conditional middleware wrote back at close."""
    asyncio.run(harness.conditional.spider_closed(harness.spider))
    with engine.connect() as connection:
        return {r.url: r for r in connection.execute(select(ArticleRow))}


def page(url: str = "http://hub.test/", status: int = 200, **headers: str) -> HtmlResponse:
    return HtmlResponse(url, status=status, headers=headers, body=b"<html></html>")


def test_validators_go_out_and_a_304_comes_back_as_seen(engine: Engine) -> None:
    seed(engine)
    harness = Harness(str(engine.url.render_as_string(hide_password=False)))
    middleware = harness.conditional
    assert harness.stat("newshub/recrawl/known") == 2

    request = Request(OLD)
    assert middleware.process_request(request) is None
    assert request.headers[b"If-None-Match"] == b'"old-v1"'
    assert request.headers[b"If-Modified-Since"] == b"Sat, 10 Jan 2026 08:00:00 GMT"
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, page(OLD, 304))
    assert harness.stat("newshub/recrawl/not_modified") == 1

    # A redirect inherits the headers; the target gets its own validators or none.
    moved = request.replace(url="http://hub.test/elsewhere/")
    middleware.process_request(moved)
    assert b"If-None-Match" not in moved.headers and b"If-Modified-Since" not in moved.headers
    response = page(moved.url, 304)
    assert middleware.process_response(moved, response) is response  # not ours to swallow

    fresh = Request(RECENT)
    middleware.process_request(fresh)  # archived without validators: a plain GET
    assert b"If-None-Match" not in fresh.headers
    served = page(RECENT, ETag='"fresh-v2"', **{"Last-Modified": "Fri, 27 Nov 2026 10:00:00 GMT"})
    assert middleware.process_response(fresh, served) is served

    rows = rows_after_close(harness, engine)
    assert rows[OLD].last_seen > NOW and rows[RECENT].last_seen == NOW - timedelta(minutes=30)
    assert (rows[RECENT].etag, rows[RECENT].last_modified) == (
        '"fresh-v2"',
        "Fri, 27 Nov 2026 10:00:00 GMT",
    )
    assert rows[OLD].etag == '"old-v1"'  # a 304 keeps the validators


def test_validators_kept_on_disk_are_all_written_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool, "CHUNK", 1)  # every page's validators go to the file
    seed(engine)
    harness = Harness(str(engine.url.render_as_string(hide_password=False)))
    middleware = harness.conditional
    for url, etag in (
        (OLD, '"old-v2"'),
        ("http://hub.test/category/news/", '"l"'),
        (RECENT, '"r"'),
    ):
        request = Request(url)
        middleware.process_request(request)
        middleware.process_response(request, page(url, ETag=etag))
    etags = {url: row.etag for url, row in rows_after_close(harness, engine).items()}
    assert etags == {OLD: '"old-v2"', RECENT: '"r"'}


def test_a_full_temporary_folder_loses_validators_not_pages(
    engine: Engine,
    full_temp_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(spool, "CHUNK", 1)
    seed(engine)
    harness = Harness(str(engine.url.render_as_string(hide_password=False)))
    middleware = harness.conditional
    served = page(RECENT, ETag='"r"')
    assert middleware.process_response(Request(RECENT), served) is served
    assert "cannot keep validators" in caplog.text
    request = Request(OLD)
    middleware.process_request(request)
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, page(OLD, 304))
    rows = rows_after_close(harness, engine)
    assert rows[RECENT].etag is None and rows[OLD].last_seen > NOW  # the 304 still counted


def test_archived_links_are_held_back_and_pagination_stops(engine: Engine) -> None:
    seed(engine)
    harness = Harness(str(engine.url.render_as_string(hide_password=False)))
    listing = page("http://hub.test/category/news/page/2/")
    next_page = Request("http://hub.test/category/news/page/3/")
    earlier = Request("http://hub.test/category/news/")
    out = harness.output(listing, [Request(OLD), Request(RECENT), earlier, next_page])
    assert out == [earlier], "archived articles held back, older pages not followed"
    # Held back before the duplicate filter saw them: a later link with a newer date passes.
    assert harness.conditional.state.dropped == {OLD, RECENT}
    assert harness.stat("newshub/recrawl/pagination_stopped") == 1

    changed = Request(OLD, meta={"lastmod": NOW})
    out = harness.output(listing, [changed, next_page])
    assert out == [changed, next_page], "a changed article keeps the listing going"
    out = harness.output(listing, [Request(RECENT), Request(NEW), next_page])
    assert [r.url for r in out] == [NEW, next_page.url]
    # A link sent on before (a "latest posts" widget) says nothing new about this page; the
    # repeated-links middleware drops it after this one.
    assert harness.send_on(listing, out) == out
    out = harness.output(listing, [Request(RECENT), Request(NEW), next_page])
    assert [r.url for r in out] == [NEW], "only archived articles here: older pages not followed"
    assert harness.stat("newshub/recrawl/pagination_stopped") == 2
    assert harness.send_on(listing, out) == [] and harness.stat("newshub/repeated_links") == 1
    requisite = Request("http://hub.test/wp-content/a.png", meta={"requisite": True})
    assert harness.output(listing, [requisite]) == [requisite]

    harness.conditional.process_request(changed)
    harness.incremental.spider_closed(harness.spider)
    assert harness.stat("newshub/recrawl/skipped") == 1  # RECENT; OLD went out after all
    assert harness.stat("newshub/recrawl/refetched/changed") == 1


def test_pagination_goes_on_until_a_full_crawl_finished(engine: Engine) -> None:
    seed(engine, completed=False)  # the only run stopped at max_articles
    harness = Harness(str(engine.url.render_as_string(hide_password=False)))
    next_page = Request("http://hub.test/page/3/")
    assert harness.output(page("http://hub.test/page/2/"), [Request(OLD), next_page]) == [next_page]


def test_off_switches(engine: Engine) -> None:
    url = str(engine.url.render_as_string(hide_password=False))
    for settings in ({"CONDITIONAL_ENABLED": False}, {"DB_URL": ""}):
        crawler = newshub_crawler(HubLike, **{"DB_URL": url, **settings})
        for middleware in (ConditionalRequestMiddleware, IncrementalMiddleware):
            with pytest.raises(NotConfigured):
                middleware.from_crawler(crawler)
    crawler = newshub_crawler(HubLike, DB_URL=url, INCREMENTAL_ENABLED=False)
    with pytest.raises(NotConfigured):
        IncrementalMiddleware.from_crawler(crawler)


REST = "http://hub.test/wp-json/wp/v2/posts?per_page=100&orderby=modified&order=desc"


def test_rest_listing_stops_at_the_first_unchanged_post(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as connection:
        connection.execute(
            update(ArticleRow).where(ArticleRow.url == OLD).values(source_modified="2026-01-10")
        )
    harness = Harness(str(engine.url.render_as_string(hide_password=False)))
    listing = page(REST)
    next_page = Request(REST + "&page=2", meta={NEXT_PAGE: True})
    changed = Request(OLD, meta={SOURCE_MODIFIED: "2026-11-28"})
    new = Request(NEW, meta={SOURCE_MODIFIED: "2026-11-28"})
    assert harness.output(listing, [new, changed, next_page]) == [new, changed, next_page]
    unchanged = Request(OLD, meta={SOURCE_MODIFIED: "2026-01-10"})
    assert harness.output(listing, [new, unchanged, next_page]) == [new]
    assert harness.stat("newshub/recrawl/pagination_stopped") == 1


def test_change_signals_are_written_back(engine: Engine) -> None:
    seed(engine)
    harness = Harness(str(engine.url.render_as_string(hide_password=False)))
    middleware = harness.conditional
    # An article the spider extracted, with what discovery said about it...
    harness.spider.learned = {RECENT: ("2026-11-27T10:00:00", None)}  # type: ignore[attr-defined]
    # ...and a 304 whose request carried a sitemap's lastmod.
    request = Request(OLD, meta={SOURCE_LASTMOD: "2026-01-10T11:30:00+03:30"})
    middleware.process_request(request)
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, page(OLD, 304))
    rows = rows_after_close(harness, engine)
    assert (rows[RECENT].source_modified, rows[RECENT].source_lastmod) == (
        "2026-11-27T10:00:00",
        None,
    )
    assert (rows[OLD].source_modified, rows[OLD].source_lastmod) == (
        None,
        "2026-01-10T11:30:00+03:30",
    )
