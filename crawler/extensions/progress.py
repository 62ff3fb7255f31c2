"""A live one-line progress display on a terminal, like `wget` or `rsync --info=progress2`."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class ProgressLine:
    """Rewrites one stderr line with pages, articles and rate; silent when not a terminal."""

    def __init__(self, stats: StatsCollector, interval: float, stream: TextIO) -> None:
        self.stats = stats
        self.interval = interval
        self.stream = stream
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("PROGRESS_ENABLED") or not sys.stderr.isatty():
            raise NotConfigured
        extension = cls(crawler.stats, settings.getfloat("PROGRESS_INTERVAL"), sys.stderr)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval)

    def line(self) -> str:
        pages = self.stats.get_value("downloader/response_count", 0)
        articles = self.stats.get_value("item_scraped_count", 0)
        queued = self.stats.get_value("scheduler/enqueued", 0) - self.stats.get_value(
            "scheduler/dequeued", 0
        )
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (
            f"{pages} pages, {articles} articles, {queued} queued, "
            f"{pages / elapsed:.1f} pages/s, {elapsed:.0f} s"
        )

    def show(self) -> None:
        self.stream.write("\r\x1b[K" + self.line())
        self.stream.flush()

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.stream.write("\r\x1b[K")
        self.stream.flush()
