"""Spider middleware that keeps a recrawl from asking again for what it already archived.

Links to archived articles pass only when the recrawl policy (crawler.recrawl_policy) has a reason:
a sitemap or feed date newer than the article's last_seen, a recent article due for a
recheck, or an old one not looked at for long. The decision is made here, before Scrapy's
duplicate filter sees the request: a link held back from a listing page (no date) can still
pass later from a sitemap entry whose lastmod says the article changed.

A listing's next pages are not followed from a page whose article links are all archived and
unchanged, once the source has had a complete crawl (so an interrupted first crawl is resumed
in full). Requests of page requisites (CSS, images) are not looked at.

What is archived comes from the conditional downloader middleware, which loads it at spider
open: this middleware finds it with `crawler.get_downloader_middleware` once the engine exists.
A page's links to other sites (by the off-site middleware's own check) and links already sent
on this run (menus, "latest posts" widgets; crawler.middlewares.repeats knows them) are passed
on uncounted: they say nothing about what a listing page holds, and are dropped downstream.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from crawler.items import ArticleItem
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.middlewares.offsite import on_site_check
from crawler.middlewares.repeats import RepeatedLinksMiddleware
from crawler.recrawl_policy import (
    NEXT_PAGE,
    RecrawlPolicy,
    RecrawlState,
    exact_change,
    listing_root,
)
from crawler.urls import looks_like_article, page_number

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class _Page:
    """What one response's output links to."""

    article: bool = False  # the page is itself an article
    links: int = 0  # links to articles, archived or not
    fresh: bool = False  # some of them new or changed
    unchanged: bool = False  # some archived one whose own change signal is as recorded


class IncrementalMiddleware:
    """Holds back requests for archived, unchanged articles and needless listing pages."""

    def __init__(self, crawler: Crawler, policy: RecrawlPolicy, *, stop_pagination: bool) -> None:
        self.crawler = crawler
        self.policy = policy
        self.stop_pagination = stop_pagination
        # The conditional middleware's, from spider open on; until then nothing is archived.
        self.state = RecrawlState()
        self.on_site: Callable[[Request], bool] = lambda request: True
        self.repeats: RepeatedLinksMiddleware | None = None
        # Why archived articles were let through.
        self.reasons: dict[str, str] = {}
        self.clock = lambda: datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        if not settings.getbool("CONDITIONAL_ENABLED") or not settings.get("DB_URL"):
            raise NotConfigured("the conditional middleware loads what is archived; it is off")
        policy = RecrawlPolicy.from_settings(settings)
        middleware = cls(
            crawler, policy, stop_pagination=settings.getbool("INCREMENTAL_STOP_PAGINATION")
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        """Share the conditional middleware's state and the off-site and repeated-links
        middlewares' knowledge (the engine, and so they, exist by now)."""
        self.on_site = on_site_check(self.crawler)
        self.repeats = self.crawler.get_spider_middleware(RepeatedLinksMiddleware)
        conditional = self.crawler.get_downloader_middleware(ConditionalRequestMiddleware)
        if conditional is None:
            logger.warning(
                "recrawl: ConditionalRequestMiddleware is not enabled; nothing held back"
            )
            return
        self.state = conditional.state

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        page = _Page()
        next_pages: list[Request] = []
        now = self.clock()
        async for entry in result:
            if isinstance(entry, ArticleItem):
                page.article = True
            elif isinstance(entry, Request) and not entry.meta.get("requisite"):
                if not self._wanted(entry, page, now):
                    continue
                if entry.meta.get(NEXT_PAGE) or self._is_next_page(entry, response):
                    next_pages.append(entry)  # decided once the whole page is seen
                    continue
            yield entry
        if next_pages and (self._listing_exhausted(page) or self._signals_exhausted(page)):
            self.crawler.stats.inc_value("newshub/recrawl/pagination_stopped")
            return
        for request in next_pages:
            yield request

    def _wanted(self, request: Request, page: _Page, now: datetime) -> bool:
        url = request.url
        if self._repeated(url) or not self.on_site(request):
            return True  # uncounted: the repeated-links or the off-site filter drops it
        found = self.state.known.find(url)
        if found is None:
            if looks_like_article(url):
                page.links += 1
                page.fresh = True
            return True
        # A shortlink or a slash-less permalink is the archived article it redirects to.
        url, known = found
        page.links += 1
        page.unchanged = page.unchanged or exact_change(known, request.meta) is False
        reason = self.policy.reason(url, known, request.meta.get("lastmod"), now, request.meta)
        if reason is None:
            self.state.dropped.add(url)
            return False
        page.fresh = page.fresh or reason == "changed"
        self.reasons.setdefault(url, reason)
        return True

    def _repeated(self, url: str) -> bool:
        return self.repeats is not None and self.repeats.passed_before(url)

    def _is_next_page(self, request: Request, response: Response) -> bool:
        return page_number(request.url) > page_number(response.url) and listing_root(
            request.url
        ) == listing_root(response.url)

    def _listing_exhausted(self, page: _Page) -> bool:
        """Only archived, unchanged articles here: older pages hold nothing new either."""
        return (
            self.stop_pagination
            and self.state.known.completed
            and not page.article
            and page.links > 0
            and not page.fresh
        )

    def _signals_exhausted(self, page: _Page) -> bool:
        """A REST listing ordered by modification, newest first, reached a post whose
        `modified_gmt` is as recorded: the posts on later pages changed even earlier."""
        return self.stop_pagination and self.state.known.completed and page.unchanged

    def spider_closed(self, spider: Spider) -> None:
        self.crawler.stats.set_value("newshub/recrawl/skipped", self.state.skipped)
        for reason, count in Counter(self.reasons.values()).items():
            self.crawler.stats.set_value(f"newshub/recrawl/refetched/{reason}", count)
