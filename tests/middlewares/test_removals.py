"""Removed articles: 404/410 and redirects home mark them, a later 200 or 304 unmarks them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from scrapy import Request, Spider
from scrapy.http import Response
from sqlalchemy import Engine, insert, select

from crawler.config import Source
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.middlewares.removals import RemovalsMiddleware, is_home
from pipelines.db.models import ArticleEvent, ArticleRow
from pipelines.db.runs import ensure_source
from tests.newshub_crawler import newshub_crawler

SOURCE = Source(name="hub", home="http://hub.test/")
T0 = datetime(2026, 11, 1, tzinfo=UTC)
GONE, HOME, MOVED, KEPT = (f"http://hub.test/{name}/" for name in ("gone", "home", "moved", "kept"))


class HubLike(Spider):
    name = "hub"
    source = SOURCE


def seed(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    with engine.begin() as connection:
        for url in (GONE, HOME, MOVED, KEPT):
            connection.execute(
                insert(ArticleRow).values(
                    source_id=source_id, url=url, content_hash="h", extractor_version="t",
                    first_seen=T0, last_seen=T0, tags=[], links=[],
                )
            )  # fmt: skip


def crawl(engine: Engine, responses: dict[str, Response]) -> RemovalsMiddleware:
    url = engine.url.render_as_string(hide_password=False)
    crawler = newshub_crawler(HubLike, DB_URL=url)
    crawler.spider = spider = HubLike()
    conditional = ConditionalRequestMiddleware.from_crawler(crawler)
    removals = RemovalsMiddleware.from_crawler(crawler)
    crawler.get_downloader_middleware = lambda cls: conditional  # type: ignore[method-assign]
    crawler.stats.open_spider()  # type: ignore[union-attr]
    asyncio.run(conditional.spider_opened(spider))
    removals.spider_opened(spider)
    for target, response in responses.items():
        removals.process_response(Request(target), response)
    asyncio.run(removals.spider_closed(spider))
    return removals


def removed(engine: Engine) -> dict[str, datetime | None]:
    with engine.connect() as connection:
        return dict(connection.execute(select(ArticleRow.url, ArticleRow.removed_at)).all())


def test_gone_then_back(engine: Engine) -> None:
    seed(engine)
    crawl(
        engine,
        {
            GONE: Response(GONE, status=410),
            HOME: Response(HOME, status=301, headers={"Location": "/"}),
            MOVED: Response(MOVED, status=301, headers={"Location": "/moved-2/"}),
            KEPT: Response(KEPT, status=200),
        },
    )
    marks = removed(engine)
    assert marks[GONE] is not None and marks[HOME] is not None
    assert marks[MOVED] is None and marks[KEPT] is None
    # Seen gone again: the first date stays.
    crawl(engine, {GONE: Response(GONE, status=404)})
    assert removed(engine)[GONE] == marks[GONE]
    crawl(engine, {GONE: Response(GONE, status=304)})
    assert removed(engine)[GONE] is None
    with engine.connect() as connection:
        history = connection.execute(
            select(ArticleEvent.kind, ArticleEvent.detail).order_by(ArticleEvent.id)
        ).all()
    assert sorted(history) == [
        ("removed", "410"),
        ("removed", "redirect home"),
        ("returned", "304"),
    ]


def test_is_home() -> None:
    assert is_home("http://hub.test/", "http://hub.test/")
    assert is_home("http://hub.test", "http://hub.test/")
    assert is_home("http://hub.test/news/", "http://hub.test/news")
    assert not is_home("http://hub.test/?p=3", "http://hub.test/")
    assert not is_home("http://other.test/", "http://hub.test/")
    assert not is_home("http://hub.test/a/", "http://hub.test/")


def test_old_removal_date_is_kept_as_a_datetime(engine: Engine) -> None:
    seed(engine)
    crawl(engine, {GONE: Response(GONE, status=404)})
    assert removed(engine)[GONE] > T0 + timedelta(days=1)  # type: ignore[operator]
