"""CompactFifoMemoryQueue: plain requests wait as tuples and come back as equal Requests."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.http import FormRequest
from sqlalchemy import select

from crawler import compact_queue, settings
from crawler.compact_queue import CompactFifoMemoryQueue
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, CrawlRun
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


def spilling_queue(
    in_memory: int, chunk: int, monkeypatch: Any
) -> tuple[CompactFifoMemoryQueue, HubLike]:
    monkeypatch.setattr(compact_queue, "SPILL_CHUNK", chunk)
    queue, spider = make_queue()
    queue.in_memory = in_memory
    return queue, spider


def test_past_its_memory_share_the_queue_waits_in_a_file_in_fifo_order(monkeypatch: Any) -> None:
    assert settings.SCHEDULER_QUEUE_IN_MEMORY == 2000
    queue, spider = spilling_queue(3, 2, monkeypatch)
    sent = [plain(spider, n) for n in range(9)]
    for request in sent[:7]:
        queue.push(request)
    assert len(queue._queue) == 3 and len(queue._tail) == 0 and len(queue) == 7
    assert all(isinstance(chunk, tuple) for chunk in queue._chunks)  # two lists in the file
    peeked = queue.peek()
    assert peeked is not None and same(peeked, sent[0])
    back = [queue.pop() for _ in range(4)]  # the head, then the first list from the file
    for request in sent[7:]:  # pushed behind what waits in the file
        queue.push(request)
    back += [queue.pop() for _ in range(5)]
    assert queue.pop() is None and len(queue) == 0 and queue.peek() is None
    for original, rebuilt in zip(sent, back, strict=True):
        assert rebuilt is not None and same(rebuilt, original), (rebuilt, original)
    file = queue._spilled._file
    assert file is not None and file.seek(0, 2) == 0  # emptied once everything was read back
    queue.close()


def test_requests_that_do_not_pickle_wait_in_memory_in_their_place(monkeypatch: Any) -> None:
    queue, spider = spilling_queue(1, 2, monkeypatch)
    odd = Request("http://hub.test/l", callback=lambda response: None)  # waits as itself
    sent = [plain(spider, 0), plain(spider, 1), odd, plain(spider, 2), plain(spider, 3)]
    for request in sent:
        queue.push(request)
    assert [type(chunk) for chunk in queue._chunks] == [list, tuple]  # [1, odd], [2, 3]
    back = [queue.pop() for _ in sent]
    assert back[2] is odd
    assert all(same(b, s) for b, s in zip(back, sent, strict=True) if b is not None)


def test_a_full_disk_keeps_the_waiting_requests_in_memory(
    full_temp_dir: Any, monkeypatch: Any, caplog: Any
) -> None:
    queue, spider = spilling_queue(2, 50, monkeypatch)
    sent = [plain(spider, n) for n in range(500)]
    for request in sent:
        queue.push(request)
    assert all(isinstance(chunk, list) for chunk in queue._chunks)
    assert caplog.text.count("waiting requests kept in memory, not in a file") == 1
    back = [queue.pop() for _ in sent]
    assert all(same(b, s) for b, s in zip(back, sent, strict=True) if b is not None)
    assert None not in back and queue.pop() is None
    queue.close()


def test_waiting_in_a_file_keeps_the_heap_flat(monkeypatch: Any) -> None:
    def traced(in_memory: int) -> int:
        queue, spider = spilling_queue(in_memory, 1000, monkeypatch)
        gc.collect()
        tracemalloc.start()
        for n in range(10_000):  # each request made, pushed and dropped, as in a crawl
            queue.push(plain(spider, n))
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        queue.close()
        return size

    assert traced(2000) < traced(0) / 3


# The crawl in a process of its own (a reactor per crawl), its queues holding 5 requests in
# memory and writing the rest to their file 3 at a time.
SPILLING_CRAWL = (
    "import sys, crawler.settings as s, crawler.compact_queue as q; "
    "s.SCHEDULER_QUEUE_IN_MEMORY = 5; q.SPILL_CHUNK = 3; "
    "from crawler.cli import main; main(sys.argv[1:], prog_name='newshub')"
)


def test_a_crawl_whose_requests_wait_in_a_file_archives_every_article(tmp_path: Any) -> None:
    hub = DemoHub(articles=40, seed=3)
    database = f"sqlite:///{tmp_path / 'newshub.db'}"
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_DATABASE_URL": database}
    with DemoServer(hub) as server:
        truth = {server.url + article.path for article in hub.articles}
        crawl = subprocess.run(
            [sys.executable, "-c", SPILLING_CRAWL, "crawl", "--url", server.url + "/",
             "--name", "hub", "--concurrency", "4", "--delay", "0"],
            env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    engine = make_engine(database)
    with engine.connect() as connection:
        urls = set(connection.execute(select(ArticleRow.url)).scalars())
        stats = connection.execute(select(CrawlRun.stats)).scalar_one()
    engine.dispose()
    assert urls == truth
    assert stats["newshub/queue/requests_in_file"] > 0
