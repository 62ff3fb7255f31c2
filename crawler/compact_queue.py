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
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy import Request

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

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

    def __init__(self, spider: Spider) -> None:
        self.spider = spider
        self._queue: deque[Packed | Request] = deque()
        # One bytes object per header name and meta key for the whole queue.
        self._names: dict[Any, Any] = {}
        # Header name or meta key -> the string value the request pushed last had under it.
        self._last: dict[Any, str | bytes] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, key: str, *args: Any, **kwargs: Any) -> Self:
        assert crawler.spider is not None  # the scheduler opens with the spider
        return cls(crawler.spider)

    def push(self, request: Request) -> None:
        self._queue.append(self._pack(request))

    def pop(self) -> Request | None:
        return self._unpack(self._queue.popleft()) if self._queue else None

    def peek(self) -> Request | None:
        return self._unpack(self._queue[0]) if self._queue else None

    def clear(self) -> None:
        self._queue.clear()

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._queue)

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
