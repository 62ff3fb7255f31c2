"""RepeatedLinksMiddleware: each URL goes on to the scheduler once per process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse

from crawler.middlewares.repeats import RepeatedLinksMiddleware
from tests.newshub_crawler import newshub_crawler

PAGE = HtmlResponse("http://hub.test/", body=b"<html></html>")


def through(middleware: RepeatedLinksMiddleware, entries: list[Any]) -> list[Any]:
    async def source() -> AsyncIterator[Any]:
        for entry in entries:
            yield entry

    async def collect() -> list[Any]:
        return [x async for x in middleware.process_spider_output(PAGE, source())]

    return asyncio.run(collect())


def test_each_url_goes_on_once() -> None:
    middleware = RepeatedLinksMiddleware.from_crawler(newshub_crawler())
    first, again = Request("http://hub.test/a/"), Request("http://hub.test/a/")
    item = {"title": "a"}
    assert through(middleware, [first, item, again]) == [first, item]
    assert through(middleware, [Request("http://hub.test/a/")]) == []
    forced = Request("http://hub.test/a/", dont_filter=True)
    assert through(middleware, [forced]) == [forced]
    assert middleware.passed_before("http://hub.test/a/")
    assert not middleware.passed_before("http://hub.test/b/")  # held back upstream: passes later
    assert middleware.crawler.stats.get_value("newshub/repeated_links") == 2
