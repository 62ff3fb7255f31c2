"""Downloader middleware that sends archived articles' validators back and honours a 304.

At spider open it reads the source's archived articles (URL, dates, ETag, Last-Modified) in a
thread; requests to those URLs get If-None-Match / If-Modified-Since. A 304 is already in the
WARC (the capture middleware at 950 archives whatever comes back) and in `captures`; here it
only ends the request, with no re-extraction, and the article's last_seen is bumped. 200s
leave their validators for next time, spooled to a temporary file (crawler.spool: one record
per page fetched would otherwise grow the heap with the crawl). Both are written back in a
thread at spider close, with the change signals (REST `modified_gmt`, sitemap lastmod) of the
articles seen this run.

At 800 it runs after DownloaderStats (850) counted the response and before redirects (600).
It owns the crawl's RecrawlState; the incremental spider middleware finds it through
`crawler.get_downloader_middleware` and reads the same state.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.recrawl_policy import RecrawlState
from crawler.spool import TupleSpool
from pipelines.db.engine import with_engine
from pipelines.db.known_articles import load_known, write_back

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# request.meta key: the URL whose validators the request carries (a redirect inherits them).
VALIDATED = "newshub_validated"
_CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class ConditionalRequestMiddleware:
    """Conditional GETs for archived articles; a 304 means 'seen, unchanged'."""

    def __init__(self, crawler: Crawler, url: str, source_id: int | None) -> None:
        self.crawler = crawler
        self.url = url
        self.source_id = source_id
        self.state = RecrawlState()
        # What this run learned, written back at close: (url, etag, last_modified), (url, when).
        self.validators: TupleSpool | None = TupleSpool()
        self.not_modified: list[tuple[str, datetime]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("CONDITIONAL_ENABLED"):
            raise NotConfigured("CONDITIONAL_ENABLED is off")
        if not settings.get("DB_URL"):
            raise NotConfigured("DB_URL is empty: nothing archived to compare with")
        middleware = cls(crawler, settings["DB_URL"], settings.getint("DB_SOURCE_ID") or None)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def spider_opened(self, spider: Spider) -> None:
        name = getattr(getattr(spider, "source", None), "name", None) or spider.name
        try:
            known = await asyncio.to_thread(with_engine, self.url, load_known, self.source_id, name)
        except Exception as exc:  # an optimization only: crawl on, fetching everything
            logger.warning("recrawl: cannot read the archived articles (%s)", exc)
            return
        self.state.known = known
        self.crawler.stats.set_value("newshub/recrawl/known", len(known.articles))

    def process_request(self, request: Request) -> None:
        validated = request.meta.get(VALIDATED)
        if validated is not None and validated != request.url:  # inherited through a redirect
            for header in _CONDITIONAL_HEADERS:
                request.headers.pop(header, None)
            del request.meta[VALIDATED]
        known = self.state.known.articles.get(request.url)
        if known is None or request.method != "GET":
            return
        self.state.requested.add(request.url)
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        if known.etag or known.last_modified:
            request.meta[VALIDATED] = request.url

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 304 and request.meta.get(VALIDATED) == request.url:
            self.not_modified.append((request.url, datetime.now(UTC)))
            self.state.learn(request.url, request.meta)  # the new signal, and the same page
            self.crawler.stats.inc_value("newshub/recrawl/not_modified")
            raise IgnoreRequest(f"not modified since archived: {request.url}")
        if response.status == 200 and request.method == "GET":
            etag = _header(response, b"ETag")
            modified = _header(response, b"Last-Modified")
            if (etag or modified) and self.validators is not None:
                try:
                    self.validators.append((response.url, etag, modified))
                except OSError as exc:  # temporary folder full: the next run fetches in full
                    logger.warning("recrawl: cannot keep validators (%s), none stored", exc)
                    self.validators.close()
                    self.validators = None
        return response

    async def spider_closed(self, spider: Spider) -> None:
        source_id = self.source_id or self.state.known.source_id
        # The spider's (HubSpider.learned: articles extracted), then this run's 304s.
        learned = {**getattr(spider, "learned", {}), **self.state.signals}
        signals = ((url, *values) for url, values in learned.items())
        validators, self.validators = self.validators, None
        not_modified, self.not_modified = self.not_modified, []
        self.state.signals = {}
        try:
            if source_id is None or not (validators or not_modified or learned):
                return
            fetched = validators if validators is not None else ()
            await asyncio.to_thread(
                with_engine, self.url, write_back, source_id, fetched, not_modified, signals
            )
        except Exception as exc:  # the archive is complete without them; next run refetches
            logger.warning("recrawl: cannot store validators and last_seen (%s)", exc)
        finally:
            if validators is not None:
                validators.close()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
