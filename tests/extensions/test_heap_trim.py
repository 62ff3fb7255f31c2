"""HeapTrimmer: the heap trimmed every so many responses, switched off by its setting."""

from __future__ import annotations

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector

from crawler.extensions.heap_trim import HeapTrimmer
from tests.newshub_crawler import newshub_crawler


def test_trimmer_trims_every_so_many_responses() -> None:
    stats = MemoryStatsCollector(newshub_crawler())
    trims: list[int] = []
    trimmer = HeapTrimmer(stats, every=3, trim=lambda: trims.append(trimmer.responses))
    for _ in range(7):
        trimmer.response_received()
    assert trims == [3, 6]
    assert stats.get_value("newshub/heap/trims") == 2
    assert stats.get_value("newshub/heap/trim_seconds") >= 0


def test_on_by_default_and_off_with_zero() -> None:
    crawler = newshub_crawler()
    crawler.stats = MemoryStatsCollector(crawler)
    assert HeapTrimmer.from_crawler(crawler).every == 250
    with pytest.raises(NotConfigured):
        HeapTrimmer.from_crawler(newshub_crawler(HEAP_TRIM_EVERY=0))
