"""Stops a crawl before its disk is full, and as soon as archiving fails: never a quiet loss.

Every STORAGE_CHECK_INTERVAL seconds (and when the spider opens) it checks the free space of
the WARC folder's file system against STORAGE_MIN_FREE, and whether the WARC middleware
reported a failed write (`warc/write_error`). Either closes the spider with a reason the runner
turns into a `failed` run and a one-line error: `disk_full` or `write_error`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def free_bytes(directory: str | Path) -> int:
    """Bytes an unprivileged writer may still use on the file system holding directory."""
    path = Path(directory).absolute()
    while not path.exists() and path != path.parent:  # the folder is created on first write
        path = path.parent
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


class StorageGuard:
    """Closes the spider on low disk space or a failed WARC write, saying which and where."""

    def __init__(self, crawler: Crawler, directory: str, reserve: int, interval: float) -> None:
        self.crawler = crawler
        self.directory = directory
        self.reserve = reserve
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("nothing is archived")
        guard = cls(
            crawler,
            settings.get("WARC_DIR"),
            settings.getint("STORAGE_MIN_FREE"),
            settings.getfloat("STORAGE_CHECK_INTERVAL"),
        )
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_opened(self) -> None:
        self.loop = task.LoopingCall(self.check)
        self.loop.start(self.interval, now=True)

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        # A crawl can run out of work between two checks after a write failed (the responses
        # left are all refused): the failure is still this run's, whatever the close reason.
        # (Reaching the reserve only at the end lost nothing: that run stands.)
        problem = None if self.stopping else self.problem()
        if problem is not None and problem[0] == "write_error":
            self.stopping = True
            logger.error("the crawl ended with a storage failure: %s", problem[1])
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("newshub/storage_error", problem[1])

    def check(self) -> None:
        if self.stopping:
            return
        problem = self.problem()
        if problem is not None:
            self.stop(*problem)

    def problem(self) -> tuple[str, str] | None:
        """(close reason, message) when a WARC write failed or the reserve is reached."""
        stats = self.crawler.stats
        assert stats is not None
        write_error = stats.get_value("warc/write_error")
        if write_error:
            return "write_error", f"WARC write failed in {self.directory}: {write_error}"
        free = free_bytes(self.directory)
        if free < self.reserve:
            return (
                "disk_full",
                f"disk almost full: {free / 1e6:.1f} MB free in {self.directory}, "
                f"below the {self.reserve / 1e6:.0f} MB reserve (STORAGE_MIN_FREE)",
            )
        return None

    def stop(self, reason: str, message: str) -> None:
        self.stopping = True
        logger.error("stopping the crawl: %s", message)
        stats = self.crawler.stats
        assert stats is not None and self.crawler.engine is not None
        stats.set_value("newshub/storage_error", message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
