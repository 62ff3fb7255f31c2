"""Downloader middleware that notices archived articles the site removed, and their return.

An archived article whose URL now answers 404 or 410, or redirects to the site's home page, is
marked removed (pipelines.db.removals: the row and its versions stay, `removed_at` says since
when); a removed one that answers 200 or 304 again is unmarked. One that redirects to another
page of the site archived as a row of its own is merged with it (pipelines.db.merge). What is
archived comes from the conditional middleware's state (loaded at spider open); the marks are
written at spider close, in a thread.

At 810 it sees each response before the conditional middleware (800) ends a 304 and before
redirects (600) are followed, so the status and Location are the site's own.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.recrawl_policy import RecrawlState
from pipelines.db.engine import with_engine
from pipelines.db.merge import merge_redirects
from pipelines.db.removals import record_removals

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class RemovalsMiddleware:
    """Collects archived articles seen gone (or back) during a crawl; stores them at close."""

    def __init__(self, crawler: Crawler, url: str, source_id: int | None) -> None:
        self.crawler = crawler
        self.url = url
        self.source_id = source_id
        self.state = RecrawlState()
        self.home = ""
        self.gone: list[tuple[str, datetime, str]] = []
        self.alive: list[tuple[str, datetime, str]] = []
        # Archived URLs that redirect elsewhere on the site: (old URL, target, when).
        self.redirects: list[tuple[str, str, datetime]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("REMOVALS_ENABLED"):
            raise NotConfigured("REMOVALS_ENABLED is off")
        if not settings.getbool("CONDITIONAL_ENABLED") or not settings.get("DB_URL"):
            raise NotConfigured("the conditional middleware loads what is archived; it is off")
        middleware = cls(crawler, settings["DB_URL"], settings.getint("DB_SOURCE_ID") or None)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        source = getattr(spider, "source", None)
        self.home = getattr(source, "home", "") or ""
        conditional = self.crawler.get_downloader_middleware(ConditionalRequestMiddleware)
        if conditional is not None:
            self.state = conditional.state

    def process_response(self, request: Request, response: Response) -> Response:
        known = self.state.known.articles.get(request.url)
        if known is None or request.method != "GET":
            return response
        status, now = response.status, datetime.now(UTC)
        if status in REDIRECT_STATUSES:
            self._redirect(request.url, response, now)
        if known.removed_at is None:
            how = self._gone(request.url, response)
            if how is not None:
                self.gone.append((request.url, now, how))
        elif status in (200, 304):
            self.alive.append((request.url, now, str(status)))
        return response

    def _gone(self, url: str, response: Response) -> str | None:
        """Why the response says the article is gone ('404', '410', 'redirect home')."""
        if response.status in GONE_STATUSES:
            return str(response.status)
        location = response.headers.get(b"Location")
        if response.status in REDIRECT_STATUSES and location:
            target = urljoin(url, location.decode("latin-1"))
            if is_home(target, self.home or url):
                return "redirect home"
        return None

    def _redirect(self, url: str, response: Response, now: datetime) -> None:
        """Remember a redirect to another page of the site: maybe the article's new URL."""
        location = response.headers.get(b"Location")
        if not location:
            return
        target = urljoin(url, location.decode("latin-1"))
        same_site = urlsplit(target).hostname == urlsplit(url).hostname
        if target != url and same_site and not is_home(target, self.home or url):
            self.redirects.append((url, target, now))

    async def spider_closed(self, spider: Spider) -> None:
        source_id = self.source_id or self.state.known.source_id
        if source_id is None or not (self.gone or self.alive or self.redirects):
            return
        gone, self.gone = self.gone, []
        alive, self.alive = self.alive, []
        redirects, self.redirects = self.redirects, []
        try:
            merged, removed, returned = await asyncio.to_thread(
                with_engine, self.url, _store, source_id, gone, alive, redirects
            )
        except SQLAlchemyError as exc:  # the WARC files hold the 404s; the next run sees them again
            message = f"cannot store removed and returned articles: {exc}".splitlines()[0]
            logger.error("removals: %s", message)
            errors = self.crawler.stats.get_value("newshub/db_errors") or []
            self.crawler.stats.set_value("newshub/db_errors", [*errors, message])
            return
        stats = self.crawler.stats
        stats.inc_value("newshub/articles_moved", merged)
        stats.set_value("newshub/removals/removed", removed)
        stats.set_value("newshub/removals/returned", returned)
        if removed or returned:
            logger.info("%d archived articles removed by the site, %d back", removed, returned)


def _store(
    engine: Engine,
    source_id: int,
    gone: list[tuple[str, datetime, str]],
    alive: list[tuple[str, datetime, str]],
    redirects: list[tuple[str, str, datetime]],
) -> tuple[int, int, int]:
    """Merges of moved articles' rows, removals and returns (counts); runs in a thread."""
    merged = merge_redirects(engine, source_id, redirects) if redirects else 0
    if merged:
        logger.info("%d archived articles found again under the URL they redirect to", merged)
    return merged, *record_removals(engine, source_id, gone, alive)


def is_home(url: str, home: str) -> bool:
    """Whether `url` is the site's home page (same host, path "/" or the home's path)."""
    target, site = urlsplit(url), urlsplit(home)
    if target.hostname != site.hostname or target.query:
        return False
    return target.path.rstrip("/") in ("", site.path.rstrip("/"))
