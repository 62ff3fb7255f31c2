"""The crawl's heap: what is there before the crawl starts is kept out of garbage collection.

Every response whose `.selector` was used is a reference cycle (Scrapy's Selector keeps its
response), and so is much of Twisted's per-request state: such garbage, with its parsed lxml
tree, decoded text and body, is freed only by a collection of the oldest generation. CPython
runs one when the objects promoted since the last one reach a quarter of those already old,
and the imported modules alone are some 300,000 old objects: the crawl's garbage waited for
tens of megabytes before each collection (measured with mallinfo2: 20 to 30 MB freed by a
`gc.collect()` at any moment of a 1,000-article crawl), and malloc's heap grew to hold it.

`frozen_heap()` moves everything alive when the crawl starts (modules, settings, the crawler
and its components) to CPython's permanent generation for the crawl's duration (`gc.freeze`):
the oldest generation then holds only the crawl's own objects, so it is collected about as
often as garbage accumulates, and each collection walks a fraction of the objects. At the end
`gc.unfreeze` puts them back, so nothing frozen outlives the crawl uncollected (tests and
batches run many crawls in one process).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Objects alive on entry are left out of garbage collection until the block ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class GarbageCollector:
    """Collects the oldest generation every `every` responses (signal `response_received`).

    A response's cycle (with its tree, text and body) is garbage once the spider is done with
    it; collecting at the pace responses arrive bounds the garbage waiting for a collection to
    about `every` responses' worth. Its CPU time is counted in the stats
    (newshub/heap/collections, newshub/heap/collect_seconds): 15-18 ms a collection at 1,000
    articles, 37-44 ms at 10,000 (HEAP_COLLECT_EVERY = 250).
    """

    def __init__(self, stats: StatsCollector, every: int) -> None:
        self.stats = stats
        self.every = every
        self.responses = 0
        self.seconds = 0.0

    def response_received(self) -> None:
        self.responses += 1
        if self.responses % self.every:
            return
        started = time.process_time()
        gc.collect()
        self.stats.inc_value("newshub/heap/collections")
        self.seconds += time.process_time() - started
        self.stats.set_value("newshub/heap/collect_seconds", round(self.seconds, 3))
