"""The crawl's heap: kept out of the way of garbage collection, and given back as it frees.

`frozen_heap()` moves everything alive when the crawl starts (modules, settings, the crawler
and its components: some 300,000 objects) to CPython's permanent generation for the crawl's
duration (`gc.freeze`). The oldest generation then holds only the crawl's own objects: CPython
collects it once the objects promoted since the last collection reach a quarter of it, so
the crawl's garbage (much of Twisted's per-request state is reference cycles) is collected
about as often as it accumulates, and each collection walks a fraction of the objects. At
the end `gc.unfreeze` puts them back, so nothing frozen outlives the crawl uncollected (tests
and batches run many crawls in one process).

`HeapTrimmer` gives glibc's free heap pages back to the system every so many responses
(`malloc_trim`): pages and responses freed between two trims are reused for the next ones
instead of the heap growing around what is still alive. Measured on bench/throughput.py's
hubs: crawl process peak 129 -> 126 MiB at 1,000 articles, 172 -> 164 MiB at 10,000, at about
a millisecond a trim. (A full `gc.collect()` at the same pace, tried first, saved nothing more
once no response was a reference cycle, and cost 3 s of CPU at 10,000 articles.)
"""

from __future__ import annotations

import ctypes
import gc
import time
from collections.abc import Callable, Iterator
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


def malloc_trim() -> Callable[[], object] | None:
    """glibc's `malloc_trim(0)`, or None where the C library has none (musl, macOS)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is None:
        return None
    return lambda: trim(0)


class HeapTrimmer:
    """Trims the heap every `every` responses (signal `response_received`); the trims and
    their CPU time are in the stats (newshub/heap/trims, newshub/heap/trim_seconds)."""

    def __init__(self, stats: StatsCollector, every: int, trim: Callable[[], object]) -> None:
        self.stats = stats
        self.every = every
        self.trim = trim
        self.responses = 0
        self.seconds = 0.0

    def response_received(self) -> None:
        self.responses += 1
        if self.responses % self.every:
            return
        started = time.process_time()
        self.trim()
        self.stats.inc_value("newshub/heap/trims")
        self.seconds += time.process_time() - started
        self.stats.set_value("newshub/heap/trim_seconds", round(self.seconds, 3))
