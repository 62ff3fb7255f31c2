"""frozen_heap: what exists when the crawl starts is left out of collections, until it ends."""

from __future__ import annotations

import gc
import weakref

from scrapy.statscollectors import MemoryStatsCollector

from crawler.heap import GarbageCollector, frozen_heap
from tests.newshub_crawler import newshub_crawler


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
    with frozen_heap():
        frozen = gc.get_freeze_count()
        assert frozen > before
        cycle()  # garbage made during the crawl
        assert gc.collect() >= 2  # a full collection frees it; the frozen objects aren't walked
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == before
    del kept
    assert gc.collect() >= 2  # thawed: the old cycle is collectable again


def test_thawed_when_the_crawl_fails() -> None:
    before = gc.get_freeze_count()
    try:
        with frozen_heap():
            raise RuntimeError("crawl failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == before


def test_collector_collects_every_so_many_responses() -> None:
    stats = MemoryStatsCollector(newshub_crawler())
    collector = GarbageCollector(stats, every=3)
    gc.disable()  # only the collector collects here
    try:
        for _ in range(2):
            collector.response_received()
        garbage = weakref.ref(cycle())
        assert garbage() is not None and stats.get_value("newshub/heap/collections") is None
        collector.response_received()
        assert garbage() is None  # the third response collected it
        for _ in range(3):
            collector.response_received()
    finally:
        gc.enable()
    assert stats.get_value("newshub/heap/collections") == 2
    assert stats.get_value("newshub/heap/collect_seconds") >= 0
