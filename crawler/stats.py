"""The crawl's stats collector: Scrapy's in-memory one, without its per-access shim.

Scrapy 2.19's StatsCollector answers every attribute access, `self._stats` inside each
`inc_value` included, through a Python `__getattribute__` that wraps its methods to warn about a
deprecated `spider` argument (raising and catching an AttributeError on every miss). A crawl
counts a dozen stats per request: the shim took 2.4 % of the reactor thread's samples
(bench/throughput.py, py-spy). newshub's components never pass `spider`; an extension that does
still works, unwarned.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class CrawlStats(MemoryStatsCollector):
    """MemoryStatsCollector with Python's own attribute lookup."""

    __getattribute__ = object.__getattribute__
