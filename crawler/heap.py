"""The crawl process's heap: kept out of the way of garbage collection, and given back.

`frozen_heap()` moves everything alive when the crawl starts (modules, settings, the crawler
and its components: some 300,000 objects) to CPython's permanent generation for the crawl's
duration (`gc.freeze`). The oldest generation then holds only the crawl's own objects: CPython
collects it once the objects promoted since the last collection reach a quarter of it, so
the crawl's garbage (much of Twisted's per-request state is reference cycles) is collected
about as often as it accumulates, and each collection walks a fraction of the objects. The
youngest generation is collected every `young_threshold` allocations instead of CPython's
700: a crawl allocates fast, and at 700 the collector ran a thousand times for 1,000
articles and took 1.6 CPU s of the crawl process's 17 (every 10,000: 0.7 s, for 5 MiB more at
the peak of a 10,000-article crawl; bench/throughput.py).
At the end `gc.unfreeze` puts them back and the threshold is restored, so nothing frozen
outlives the crawl uncollected (tests and batches run many crawls in one process).

`malloc_trim()` is glibc's way to give the heap's free pages back to the system, which the
heap trimmer extension (crawler.extensions.heap_trim) calls as the crawl goes on.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap(young_threshold: int) -> Iterator[None]:
    """Objects alive on entry are left out of garbage collection until the block ends, and
    the youngest generation is collected every young_threshold allocations meanwhile."""
    thresholds = gc.get_threshold()
    gc.set_threshold(young_threshold, *thresholds[1:])
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def malloc_trim() -> Callable[[], object] | None:
    """glibc's `malloc_trim(0)`, or None where the C library has none (musl, macOS)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is None:
        return None
    return lambda: trim(0)
