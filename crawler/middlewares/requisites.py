"""Spider middleware that fetches the page requisites of archived pages, so replay looks live.

For each archived page of the configured kinds (articles by default) it asks for what the HTML
references (as the hub spider's extraction worker read them: crawler.page_reading; other
spiders' pages are parsed here) and, for each stylesheet, its ``url(...)`` and ``@import``
targets (the parsers are in crawler.references). Requisites come from the source's own
domains plus its ``requisite_domains``; each is asked for once per run, within
REQUISITES_MAX_PER_PAGE and REQUISITES_MAX_TOTAL, with hop "E" (embed).

A recrawl does not ask again for a requisite an earlier run archived within
REQUISITES_REFRESH_DAYS (pipelines.db.archived_requisites, read in a thread at spider open):
replay finds it in the archive, and the theme's CSS and JS would otherwise cost every changed
article.

Their responses are archived by the WARC middleware like any other. Their callback is the
spider's no-op ``parse_requisite`` (so the spider never mistakes a stylesheet or an image for a
page): a spider method survives a disk queue or a shared Redis frontier, which serialize
callbacks by name. A spider without one gets no requisites (NotConfigured).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse

from crawler.discovery import page_kind
from crawler.fingerprints import FingerprintSet
from crawler.page_reading import PAGE_READING_META, PageReading
from crawler.references import css_references, html_references, is_stylesheet
from crawler.urls import on_domains
from pipelines.db.archived_requisites import load_archived
from pipelines.db.engine import with_engine

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class RequisitesMiddleware:
    """Adds requisite requests after the spider's output for archived pages and stylesheets."""

    def __init__(
        self,
        crawler: Crawler,
        *,
        page_kinds: Iterable[str],
        max_per_page: int,
        max_total: int,
        social_images: bool,
        priority: int,
        refresh_days: float,
        archive: tuple[str, int, str | None] | None,
    ) -> None:
        self.crawler = crawler
        self.page_kinds = frozenset(page_kinds)
        self.max_per_page = max_per_page
        self.max_total = max_total
        self.social_images = social_images
        self.priority = priority
        # URLs considered this run (each once) and how many of them were asked for.
        self.seen = FingerprintSet()
        self.asked = 0
        # Earlier runs' copies younger than `refresh` are not fetched again (0: always fetched).
        self.refresh = timedelta(days=refresh_days)
        self.archive = archive  # (database URL, source id or 0, WARC folder)
        self.archived: dict[str, datetime] = {}
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("REQUISITES_ENABLED"):
            raise NotConfigured("REQUISITES_ENABLED is off")
        if not callable(getattr(crawler.spidercls, "parse_requisite", None)):
            raise NotConfigured(f"{crawler.spidercls.__name__} has no parse_requisite callback")
        archive = None
        if settings.get("DB_URL"):
            warc_dir = settings.get("WARC_DIR") or None
            archive = (settings["DB_URL"], settings.getint("DB_SOURCE_ID"), warc_dir)
        middleware = cls(
            crawler,
            page_kinds=settings.getlist("REQUISITES_PAGE_KINDS"),
            max_per_page=settings.getint("REQUISITES_MAX_PER_PAGE"),
            max_total=settings.getint("REQUISITES_MAX_TOTAL"),
            social_images=settings.getbool("REQUISITES_SOCIAL_IMAGES"),
            priority=settings.getint("REQUISITES_PRIORITY"),
            refresh_days=settings.getfloat("REQUISITES_REFRESH_DAYS"),
            archive=archive,
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    async def spider_opened(self, spider: Spider) -> None:
        """Read which requisites earlier runs archived, off the reactor thread."""
        if self.archive is None or self.refresh <= timedelta(0):
            return
        url, source_id, warc_dir = self.archive
        source = source_id or getattr(getattr(spider, "source", None), "name", None) or spider.name
        since = self.clock() - self.refresh
        try:
            self.archived = await asyncio.to_thread(
                with_engine, url, load_archived, source, since, warc_dir
            )
        except Exception as exc:  # an optimization only: crawl on, fetching every requisite
            logger.warning("requisites: cannot read what is archived (%s)", exc)
            return
        self.crawler.stats.set_value("newshub/requisites/archived_known", len(self.archived))

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        yield from result
        yield from self.requisites(response)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for item in result:
            yield item
        for request in self.requisites(response):
            yield request

    def requisites(self, response: Response) -> list[Request]:
        """Requests for what response needs to render, not asked for yet this run."""
        if response.status != 200 or not isinstance(response, TextResponse):
            return []
        meta = response.request.meta if response.request is not None else {}
        if meta.get("requisite"):
            if not is_stylesheet(response):
                return []
            references = css_references(response.text)
        elif isinstance(response, HtmlResponse):
            references = self._page_references(response, meta.get(PAGE_READING_META))
        else:
            return []
        return self._requests(response, references, meta.get("hops", "") + "E")

    def _page_references(self, response: HtmlResponse, reading: PageReading | None) -> list[str]:
        """The page's requisites, if it is of a kind whose requisites are fetched: as the hub
        spider's extraction worker read them (crawler.page_reading), else parsed here."""
        if reading is not None:
            return reading.requisites or []
        if self.page_kinds and page_kind(response.selector, response.url) in self.page_kinds:
            return html_references(response.selector, self.social_images)
        return []

    def _requests(self, response: Response, references: list[str], hops: str) -> list[Request]:
        own, extra = self._domains(response)
        callback = self.crawler.spider.parse_requisite  # type: ignore[union-attr]
        requests: list[Request] = []
        for reference in references:
            if len(requests) >= self.max_per_page:
                break
            if self.max_total and self.asked >= self.max_total:
                self.crawler.stats.inc_value("newshub/requisites/over_limit")
                break
            url = urldefrag(response.urljoin(reference))[0]
            if urlsplit(url).scheme not in ("http", "https") or url in self.seen:
                continue
            offsite = not on_domains(url, own)
            if offsite and not on_domains(url, extra):
                self.crawler.stats.inc_value("newshub/requisites/offsite")
                continue
            self.seen.add(url)
            meta = {"hops": hops, "requisite": True}
            if offsite:
                meta["allow_offsite"] = True
            request = Request(url, callback=callback, priority=self.priority, meta=meta)
            if self._archived(request.url):
                self.crawler.stats.inc_value("newshub/requisites/archived")
                continue
            requests.append(request)
            self.asked += 1
        if requests:
            self.crawler.stats.inc_value("newshub/requisites/requested", len(requests))
        return requests

    def _archived(self, url: str) -> bool:
        """Whether an earlier run archived url recently enough for replay to use its copy."""
        fetched = self.archived.get(url)
        return fetched is not None and self.clock() - fetched < self.refresh

    def _domains(self, response: Response) -> tuple[list[str], list[str]]:
        """The site's own domains and the source's extra requisite domains."""
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        own = list(getattr(spider, "allowed_domains", None) or [])
        if not own:
            own = [(urlsplit(response.url).hostname or "").removeprefix("www.")]
        return own, list(getattr(source, "requisite_domains", ()) or ())
