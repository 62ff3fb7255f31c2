"""frozen_heap: what exists when the crawl starts is left out of collections, until it ends, and
the youngest generation is collected less often meanwhile."""

from __future__ import annotations

import gc

from crawler.heap import frozen_heap, malloc_trim


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> Node:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a


def test_objects_alive_on_entry_are_frozen_and_thawed_at_the_end() -> None:
    gc.collect()
    before = gc.get_freeze_count()
    kept = cycle()
    thresholds = gc.get_threshold()
    with frozen_heap(10_000):
        assert gc.get_threshold() == (10_000, *thresholds[1:])
        frozen = gc.get_freeze_count()
        assert frozen > before
        cycle()  # garbage made during the crawl
        assert gc.collect() >= 2  # a full collection frees it; the frozen objects aren't walked
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == before
    assert gc.get_threshold() == thresholds
    del kept
    assert gc.collect() >= 2  # thawed: the old cycle is collectable again


def test_thawed_when_the_crawl_fails() -> None:
    before, thresholds = gc.get_freeze_count(), gc.get_threshold()
    try:
        with frozen_heap(5_000):
            raise RuntimeError("crawl failed")
    except RuntimeError:
        pass
    assert (gc.get_freeze_count(), gc.get_threshold()) == (before, thresholds)


def test_malloc_trim_is_glibcs_here() -> None:
    trim = malloc_trim()
    assert trim is not None  # Debian's glibc: the crawl's trims are real
    assert trim() in (0, 1)  # 1: memory was given back
