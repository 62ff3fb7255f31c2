"""Archived articles no page of a run linked to are rechecked when due, once, at idle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy import Spider
from scrapy.exceptions import DontCloseSpider, NotConfigured

from crawler.extensions.rechecks import UnlinkedRechecks
from pipelines.db.known_articles import Known, KnownArticle
from tests.newshub_crawler import newshub_crawler

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=400)


class Hub(Spider):
    name = "hub"
    max_articles = 0
    articles_seen = 0

    def parse_page(self, response: object) -> None:
        return None


class Engine:
    def __init__(self) -> None:
        self.requests: list[str] = []

    def crawl(self, request: object) -> None:
        self.requests.append(request.url)  # type: ignore[attr-defined]


def rechecks(**settings: object) -> UnlinkedRechecks:
    crawler = newshub_crawler(Hub, DB_URL="sqlite://", **settings)
    crawler.stats.open_spider()  # type: ignore[union-attr]
    extension = UnlinkedRechecks.from_crawler(crawler)
    extension.clock = lambda: NOW
    articles = {
        "http://hub.test/due/": KnownArticle(OLD, OLD, NOW - timedelta(days=60)),
        "http://hub.test/seen-lately/": KnownArticle(OLD, OLD, NOW - timedelta(days=1)),
        "http://hub.test/linked/": KnownArticle(OLD, OLD, NOW - timedelta(days=60)),
        "http://hub.test/held-back/": KnownArticle(OLD, OLD, NOW - timedelta(days=60)),
    }
    extension.state.known = Known(source_id=1, articles=articles, completed=True)
    extension.state.requested.add("http://hub.test/linked/")
    extension.state.dropped.add("http://hub.test/held-back/")
    crawler.engine = Engine()  # type: ignore[assignment]
    return extension


def test_only_unlinked_due_articles_are_asked_for_once() -> None:
    extension = rechecks()
    assert extension.due() == ["http://hub.test/due/"]
    spider = Hub()
    with pytest.raises(DontCloseSpider):
        extension.spider_idle(spider)
    assert extension.crawler.engine.requests == ["http://hub.test/due/"]  # type: ignore[union-attr]
    extension.spider_idle(spider)  # the second idle closes the run
    assert extension.crawler.stats.get_value("newshub/recrawl/rechecked_unlinked") == 1  # type: ignore[union-attr]


def test_a_capped_run_rechecks_nothing() -> None:
    extension = rechecks()
    spider = Hub()
    spider.max_articles = spider.articles_seen = 5
    extension.spider_idle(spider)
    assert extension.crawler.engine.requests == []  # type: ignore[union-attr]


def test_switched_off() -> None:
    with pytest.raises(NotConfigured):
        rechecks(INCREMENTAL_RECHECK_UNLINKED=False)
