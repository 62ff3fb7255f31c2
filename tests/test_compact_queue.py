"""CompactFifoMemoryQueue: plain requests wait as tuples and come back as equal Requests."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.http import FormRequest

from crawler import settings
from crawler.compact_queue import CompactFifoMemoryQueue
from tests.newshub_crawler import newshub_crawler


class HubLike(Spider):
    name = "hub-like"

    def parse_page(self, response: Any) -> None:
        pass

    def failed(self, failure: Any) -> None:
        pass


def make_queue() -> tuple[CompactFifoMemoryQueue, HubLike]:
    crawler = newshub_crawler(HubLike)
    crawler.spider = crawler._create_spider()
    return CompactFifoMemoryQueue.from_crawler(crawler, "q/0"), crawler.spider


def plain(spider: HubLike, n: int) -> Request:
    return Request(
        f"http://hub.test/2025/01/article-{n}/?a=ü",
        callback=spider.parse_page,
        errback=spider.failed,
        priority=10,
        meta={"hops": "LL", "depth": 2, "lastmod": datetime(2025, 1, n % 28 + 1, tzinfo=UTC)},
        headers={"Referer": "http://hub.test/category/news/"},
    )


ATTRIBUTES = ("url", "method", "body", "priority", "dont_filter", "meta", "encoding")


def same(a: Request, b: Request) -> bool:
    return (
        all(getattr(a, name) == getattr(b, name) for name in ATTRIBUTES)
        and a.callback == b.callback
        and a.errback == b.errback
        and dict(a.headers) == dict(b.headers)
        and a.cookies == b.cookies
        and a.cb_kwargs == b.cb_kwargs
        and a.flags == b.flags
    )


def test_plain_requests_wait_as_tuples_and_come_back_equal_in_fifo_order() -> None:
    queue, spider = make_queue()
    sent = [plain(spider, n) for n in range(3)]
    sent.append(Request("http://hub.test/", callback=spider.parse_page, dont_filter=True))
    sent.append(Request("http://hub.test/none"))  # no callback: the spider's parse
    for request in sent:
        queue.push(request)
    assert all(isinstance(entry, tuple) for entry in queue._queue)
    assert len(queue) == 5
    peeked = queue.peek()
    assert peeked is not None and same(peeked, sent[0]) and len(queue) == 5
    back = [queue.pop() for _ in sent]
    assert queue.pop() is None and len(queue) == 0
    for original, rebuilt in zip(sent, back, strict=True):
        assert rebuilt is not None and rebuilt is not original
        assert same(rebuilt, original), (rebuilt, original)
    assert back[0].callback.__self__ is spider  # type: ignore[union-attr]


def test_requests_that_are_not_plain_wait_as_they_are() -> None:
    queue, spider = make_queue()
    other = HubLike()
    unusual = [
        FormRequest("http://hub.test/f", formdata={"a": "1"}, callback=spider.parse_page),
        Request("http://hub.test/p", method="POST", body=b"x"),
        Request("http://hub.test/c", cookies={"consent": "yes"}),
        Request("http://hub.test/k", callback=spider.parse_page, cb_kwargs={"n": 1}),
        Request("http://hub.test/l", callback=lambda response: None),
        Request("http://hub.test/o", callback=other.parse_page),
        Request("http://hub.test/h", headers={"X-Two": ["a", "b"]}),
        Request("http://hub.test/e", encoding="latin-1"),
        Request("http://hub.test/g", flags=["x"]),
    ]
    for request in unusual:
        queue.push(request)
    assert [queue.pop() for _ in unusual] == unusual  # the very same objects


def test_scrapy_scheduler_keeps_priorities_with_it() -> None:
    assert settings.SCHEDULER_MEMORY_QUEUE == "crawler.compact_queue.CompactFifoMemoryQueue"
    crawler = newshub_crawler(
        HubLike,
        SCHEDULER_MEMORY_QUEUE=settings.SCHEDULER_MEMORY_QUEUE,
        # Scrapy's default, DownloaderAwarePriorityQueue, needs a running engine; it keeps a
        # ScrapyPriorityQueue of the same memory queues per download slot.
        SCHEDULER_PRIORITY_QUEUE="scrapy.pqueues.ScrapyPriorityQueue",
    )
    crawler.spider = spider = crawler._create_spider()
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(spider)
    for n, priority in enumerate([0, 10, 0, 30, 10]):
        request = plain(spider, n)
        request.priority = priority
        assert scheduler.enqueue_request(request)
    assert not scheduler.enqueue_request(plain(spider, 0))  # Scrapy's duplicate filter
    order = []
    while (request := scheduler.next_request()) is not None:
        order.append((request.priority, request.url.split("article-")[1]))
        assert request.callback == spider.parse_page
    assert order == [
        (30, "3/?a=%C3%BC"),
        (10, "1/?a=%C3%BC"),
        (10, "4/?a=%C3%BC"),
        (0, "0/?a=%C3%BC"),
        (0, "2/?a=%C3%BC"),
    ]
    scheduler.close("finished")


def test_waiting_requests_cost_a_fraction_of_requests() -> None:
    queue, spider = make_queue()

    def traced(fill: Any) -> int:
        gc.collect()
        tracemalloc.start()
        kept = fill()
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del kept
        return size

    def as_requests() -> list[Request]:
        return [plain(spider, n) for n in range(2000)]

    def as_queue() -> CompactFifoMemoryQueue:
        for n in range(2000):
            queue.push(plain(spider, n))
        return queue

    requests, compact = traced(as_requests), traced(as_queue)
    assert compact < requests / 2, (compact, requests)


def test_requests_from_one_page_wait_with_one_referer_and_hops() -> None:
    queue, spider = make_queue()
    for n in range(3):
        queue.push(plain(spider, n))
    queue.push(Request("http://hub.test/x", headers={"Referer": "http://hub.test/other/"}))
    first, second, third, other = queue._queue
    assert isinstance(first, tuple) and isinstance(second, tuple) and isinstance(third, tuple)
    assert first[6][1] is second[6][1] is third[6][1]  # the Referer's bytes, once
    assert first[5][1] is second[5][1] == "LL"  # hops
    assert first[5][5] is not second[5][5]  # each its own lastmod
    assert isinstance(other, tuple) and other[6][1] == b"http://hub.test/other/"
    rebuilt = [queue.pop() for _ in range(4)]
    assert [r.headers[b"Referer"] for r in rebuilt if r is not None] == [
        b"http://hub.test/category/news/"
    ] * 3 + [b"http://hub.test/other/"]
