"""Scheduler memory queue that keeps plain requests as compact tuples (SCHEDULER_MEMORY_QUEUE).

A hub's sitemaps hand the scheduler all their URLs at once: at 10,000 articles about 9,000
requests wait in it at a time. A waiting `scrapy.Request` costs about 1.6 KB (the object, its
meta dict, its Headers with the Referer, its entry in Scrapy's trackref registry; its entry in
the fingerprint cache adds about 0.6 KB in a crawl), as a tuple of its URL, callback and
errback names, priority, meta items and headers about 0.5 KB (tracemalloc,
tests/test_compact_queue.py). Packing and rebuilding cost about 25 microseconds a request.

Only a plain request is packed: exactly `scrapy.Request`, GET without a body, cookies, flags or
cb_kwargs, UTF-8, one value per header, and a callback and errback that are None or methods of
the spider found under their own name (callbacks by name, as a disk queue keeps them). Anything
else waits as the Request itself. `pop` builds an equal Request: same URL, callback, errback,
method, headers, meta, priority and dont_filter. The order is FIFO within a priority, like
Scrapy's FifoMemoryQueue; the priority queue above it (SCHEDULER_PRIORITY_QUEUE) is Scrapy's.

Past SCHEDULER_QUEUE_IN_MEMORY waiting entries, newer ones wait in an unlinked temporary file
(crawler.spool.ChunkFile, in `tempfile`'s folder: TMPDIR) as pickled lists of SPILL_CHUNK,
read back in order when the entries in memory run out: the crawl's memory no longer grows with
the size of a hub's sitemaps. A list that cannot be written (a full disk) or pickled waits in
memory instead, in its place in the order.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy import Request

from crawler.spool import ChunkFile

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Entries per list written to the chunk file.
SPILL_CHUNK = 1000

# url, callback name, errback name, priority, dont_filter, flat meta items, flat headers.
Packed = tuple[str, str | None, str | None, int, bool, tuple[Any, ...], tuple[bytes, ...]]


def _method_name(spider: Spider, method: Callable[..., Any]) -> str | None:
    """The name the spider has `method` under, or None if it is not one of the spider's."""
    name = getattr(method, "__name__", None)
    if (
        name is None
        or getattr(method, "__self__", None) is not spider
        or getattr(spider, name, None) != method
    ):
        return None
    return name


class CompactFifoMemoryQueue:
    """FIFO memory queue of one priority; plain requests wait as tuples (module docstring)."""

    def __init__(
        self, spider: Spider, in_memory: int = 0, stats: StatsCollector | None = None
    ) -> None:
        self.spider = spider
        self.in_memory = in_memory
        self.stats = stats
        # Oldest first: the head in memory, then lists of SPILL_CHUNK entries (in the chunk
        # file, or kept as lists when they could not go there), then the newest, in memory.
        self._queue: deque[Packed | Request] = deque()
        self._chunks: deque[tuple[int, int] | list[Packed | Request]] = deque()
        self._tail: list[Packed | Request] = []
        self._length = 0
        self._spilled = ChunkFile()
        self._disk_failed = False
        # One bytes object per header name and meta key for the whole queue.
        self._names: dict[Any, Any] = {}
        # Header name or meta key -> the string value the request pushed last had under it.
        self._last: dict[Any, str | bytes] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, key: str, *args: Any, **kwargs: Any) -> Self:
        assert crawler.spider is not None  # the scheduler opens with the spider
        in_memory = crawler.settings.getint("SCHEDULER_QUEUE_IN_MEMORY")
        return cls(crawler.spider, in_memory, crawler.stats)

    def push(self, request: Request) -> None:
        entry = self._pack(request)
        self._length += 1
        if not self.in_memory or (
            len(self._queue) < self.in_memory and not self._chunks and not self._tail
        ):
            self._queue.append(entry)
            return
        self._tail.append(entry)
        if len(self._tail) >= SPILL_CHUNK:
            tail, self._tail = self._tail, []
            self._chunks.append(self._spill(tail))

    def pop(self) -> Request | None:
        if not self._queue and not self._refill():
            return None
        self._length -= 1
        return self._unpack(self._queue.popleft())

    def peek(self) -> Request | None:
        if not self._queue and not self._refill():
            return None
        return self._unpack(self._queue[0])

    def clear(self) -> None:
        self._queue.clear()
        self._chunks.clear()
        self._tail = []
        self._length = 0
        self._spilled.close()
        self._spilled = ChunkFile()

    def close(self) -> None:
        self._spilled.close()

    def __len__(self) -> int:
        return self._length

    def _spill(self, entries: list[Packed | Request]) -> tuple[int, int] | list[Packed | Request]:
        """A handle on the entries in the chunk file, or the list itself if they cannot go
        there (a Request that does not pickle, a full disk: warned about once)."""
        if self._disk_failed:
            return entries
        try:
            handle = self._spilled.store(entries)
        except OSError as exc:
            self._disk_failed = True
            logger.warning("scheduler: waiting requests kept in memory, not in a file (%s)", exc)
            return entries
        if handle is None:
            return entries
        if self.stats is not None:
            self.stats.inc_value("newshub/queue/requests_in_file", len(entries))
        return handle

    def _refill(self) -> bool:
        """Move the oldest entries not in memory into the head; False if there are none."""
        if self._chunks:
            chunk = self._chunks.popleft()
            self._queue.extend(chunk if isinstance(chunk, list) else self._spilled.load(chunk))
        elif self._tail:
            self._queue.extend(self._tail)
            self._tail = []
        return bool(self._queue)

    def _pack(self, request: Request) -> Packed | Request:
        if (
            type(request) is not Request
            or request.method != "GET"
            or request.body
            or request.encoding != "utf-8"
            or request.cookies
            or request.flags
            or request.cb_kwargs
        ):
            return request
        callback = request.callback and _method_name(self.spider, request.callback)
        errback = request.errback and _method_name(self.spider, request.errback)
        if (request.callback and not callback) or (request.errback and not errback):
            return request
        headers: list[bytes] = []
        for name, values in request.headers.items():
            if len(values) != 1:
                return request
            headers += (self._names.setdefault(name, name), self._shared(name, values[0]))
        meta: list[Any] = []
        for key, value in request.meta.items():
            meta += (self._names.setdefault(key, key), self._shared(key, value))
        return (
            request.url,
            callback,
            errback,
            request.priority,
            request.dont_filter,
            tuple(meta),
            tuple(headers),
        )

    def _shared(self, key: Any, value: Any) -> Any:
        """value, or the equal string the request pushed before had under key: the requests
        one page yields wait with one Referer and one `hops` between them, not one each."""
        if type(value) is not str and type(value) is not bytes:
            return value
        last = self._last.get(key)
        if type(last) is type(value) and last == value:
            return last
        self._last[key] = value
        return value

    def _unpack(self, entry: Packed | Request) -> Request:
        if isinstance(entry, Request):
            return entry
        url, callback, errback, priority, dont_filter, meta, headers = entry
        return Request(
            url,
            callback=None if callback is None else getattr(self.spider, callback),
            errback=None if errback is None else getattr(self.spider, errback),
            priority=priority,
            dont_filter=dont_filter,
            meta=dict(zip(meta[::2], meta[1::2], strict=True)) if meta else None,
            headers=dict(zip(headers[::2], headers[1::2], strict=True)) if headers else None,
        )
