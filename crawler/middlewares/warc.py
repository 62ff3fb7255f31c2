"""Downloader middleware that writes every HTTP exchange to WARC as it came off the wire.

At priority 950 it sees responses before HttpCompressionMiddleware (590) decodes bodies and
before RedirectMiddleware (600) swallows 3xx, so robots.txt, redirects and gzip bodies are
archived as sent.

With WARC_DEDUP_ENABLED, a payload already archived for the source is written as a ``revisit``
record instead (policy in ``pipelines.warc.dedup``); the source's digest index is read from the
database in a thread at spider open.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.signals import capture_archived
from pipelines.db.engine import with_engine
from pipelines.warc.dedup import (
    DigestIndex,
    content_coding,
    dedup_key,
    eligible,
    load_digest_index,
    revisit_target,
)
from pipelines.warc.records import HttpExchange, RevisitTarget, host_header
from pipelines.warc.recover import recover
from pipelines.warc.writer import WarcWriter

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.signalmanager import SignalManager
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Meant for the proxy, never sent on to the site; and a credential.
_UNSENT_REQUEST_HEADERS = frozenset({b"Proxy-Authorization"})
# Scrapy response flags that mean the stored body is not the whole body.
_TRUNCATION_FLAGS = {"dataloss": "disconnect", "download_stopped": "unspecified"}


def _pairs(headers: Any, skip: frozenset[bytes] = frozenset()) -> list[tuple[str, str]]:
    """Scrapy Headers as (name, value) pairs, one per value, bytes kept via latin-1."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        if name not in skip
        for value in values
    ]


def _reason(status: int) -> str:
    """Scrapy drops the reason phrase; the standard one is the best replacement."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def exchange_from(request: Request, response: Response, fetched_at: datetime) -> HttpExchange:
    """The exchange as Twisted put it on the wire, rebuilt from what Scrapy keeps."""
    request_headers = _pairs(request.headers, _UNSENT_REQUEST_HEADERS)
    names = {name.lower() for name, _ in request_headers}
    if request.body and "content-length" not in names:
        request_headers.insert(0, ("Content-Length", str(len(request.body))))
    if "host" not in names:
        request_headers.append(("Host", host_header(request.url)))
    referer = request.headers.get(b"Referer")
    latency = request.meta.get("download_latency")
    truncated = next((_TRUNCATION_FLAGS[f] for f in response.flags if f in _TRUNCATION_FLAGS), None)
    return HttpExchange(
        url=response.url,
        method=request.method,
        request_headers=request_headers,
        request_body=request.body,
        protocol=response.protocol or "HTTP/1.1",
        status=response.status,
        reason=_reason(response.status),
        response_headers=_pairs(response.headers),
        body=response.body,
        ip_address=str(response.ip_address) if response.ip_address else None,
        fetched_at=fetched_at,
        duration=latency,
        via=referer.decode("latin-1") if referer else None,
        hops=request.meta.get("hops", ""),
        truncated=truncated,
    )


class WarcCaptureMiddleware:
    """Archives each downloaded response, then announces it with ``capture_archived``."""

    def __init__(
        self,
        directory: str,
        prefix: str,
        *,
        max_size: int,
        compress_level: int,
        warcinfo: dict[str, str],
        stats: StatsCollector,
        signals: SignalManager,
        digests: DigestIndex | None,
        dedup_min_size: int,
        history: tuple[str, int] | None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_size = max_size
        self.compress_level = compress_level
        self.warcinfo = warcinfo
        self.stats = stats
        self.signals = signals
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.writer: WarcWriter | None = None
        self.spider: Spider | None = None
        # Payloads archived so far (None: no dedup); history is (database URL, source id).
        self.digests = digests
        self.dedup_min_size = dedup_min_size
        self.history = history

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        warcinfo = {
            "operator": settings.get("WARC_OPERATOR") or "",
            "runId": settings.get("WARC_RUN_ID") or "",
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": settings.get("USER_AGENT") or "",
        }
        dedup = settings.getbool("WARC_DEDUP_ENABLED")
        history = None
        if dedup and settings.get("DB_URL"):
            history = (settings["DB_URL"], settings.getint("DB_SOURCE_ID"))
        middleware = cls(
            settings["WARC_DIR"],
            settings["WARC_PREFIX"],
            max_size=settings.getint("WARC_MAX_SIZE"),
            compress_level=settings.getint("WARC_COMPRESS_LEVEL"),
            warcinfo=warcinfo,
            stats=crawler.stats,
            signals=crawler.signals,
            digests=DigestIndex(settings.getint("WARC_DEDUP_MAX_ENTRIES")) if dedup else None,
            dedup_min_size=settings.getint("WARC_DEDUP_MIN_SIZE"),
            history=history,
        )
        if history is not None:
            crawler.signals.connect(middleware.load_history, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.spider = spider
        self._recover_dead_files()
        warcinfo = {"spider": spider.name, **self.warcinfo}
        self.writer = WarcWriter(
            self.directory,
            self.prefix,
            max_size=self.max_size,
            compress_level=self.compress_level,
            warcinfo=warcinfo,
        )

    async def load_history(self, spider: Spider) -> None:
        """Fill the digest index from earlier crawls of the source, off the reactor thread."""
        if self.history is None or self.digests is None:
            return
        url, source_id = self.history
        source: int | str | None = source_id or getattr(
            getattr(spider, "source", None), "name", None
        )
        if not source:
            return
        try:
            loaded = await asyncio.to_thread(
                with_engine, url, load_digest_index, source, self.digests.max_entries
            )
        except Exception as exc:  # dedup is an optimization: crawl on, storing in full
            logger.warning("WARC dedup: could not read earlier digests (%s)", exc)
            return
        self.stats.set_value("warc/dedup_index_loaded", len(loaded))
        self.digests.merge_older(loaded)

    def spider_closed(self, spider: Spider) -> None:
        writer, self.writer = self.writer, None
        if writer is None:
            return
        writer.close()
        self._update_stats(writer)
        self.stats.set_value("newshub/warc_files", list(writer.files))
        files = ", ".join(writer.files) or "none"
        # `spider` routes the line to its source's log when sources share a process.
        logger.info("WARC files written: %s", files, extra={"spider": spider})

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags or urlsplit(response.url).scheme not in ("http", "https"):
            return response
        if self.writer is None:
            raise RuntimeError("WARC writer is not open (spider_opened not received)")
        latency = request.meta.get("download_latency") or 0.0
        exchange = exchange_from(request, response, self.clock() - timedelta(seconds=latency))
        key, original = self._dedup(exchange)
        try:
            if original is None:
                record = self.writer.write_exchange(exchange)
            else:
                record = self.writer.write_revisit(exchange, original)
        except OSError as exc:  # disk full or failing: crawler.extensions.storage stops the run
            logger.error("Could not write %s to WARC in %s: %s", response.url, self.directory, exc)
            if self.stats is not None:
                self.stats.inc_value("warc/errors")
                self.stats.set_value("warc/write_error", str(exc))
            raise IgnoreRequest(f"not archived: {exc}") from exc
        except Exception:
            # An archive that silently drops records is worse than a failed run.
            logger.exception("Could not write %s to WARC in %s", response.url, self.directory)
            self.stats.inc_value("warc/errors")
            raise
        request.meta["warc_record_id"] = record.record_id
        if self.digests is not None and key is not None and original is None:
            target = RevisitTarget(
                record.target_uri, record.date, record.record_id, record.payload_digest
            )
            self.digests.add(key, target, len(exchange.body))
        self.stats.inc_value("warc/records")
        if original is not None:
            self.stats.inc_value("warc/revisits")
            self.stats.inc_value("warc/dedup_bytes_saved", len(exchange.body))
        self._update_stats(self.writer)
        content_type = response.headers.get(b"Content-Type")
        capture = record.capture(
            status=exchange.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            size=len(exchange.body),
        )
        if self.digests is not None:
            capture["dedup_key"] = key
        self.signals.send_catch_log(signal=capture_archived, capture=capture, spider=self.spider)
        return response

    def _dedup(self, exchange: HttpExchange) -> tuple[str | None, RevisitTarget | None]:
        """The exchange's dedup key (None: not eligible) and the original it repeats, if any."""
        if self.digests is None or not eligible(exchange, self.dedup_min_size):
            return None, None
        key = dedup_key(exchange.body, content_coding(exchange.response_headers))
        return key, revisit_target(self.digests, exchange, key)

    def _recover_dead_files(self) -> None:
        """Close files a killed earlier run left ``.open``; live writers' files are locked."""
        if not os.path.isdir(self.directory):
            return
        for result in recover(self.directory):
            if result.action == "locked":
                continue
            logger.warning(
                "WARC recovery: %s %s (%d records kept, %d bytes dropped)",
                result.action,
                result.path,
                result.records,
                result.dropped_bytes,
            )
            self.stats.inc_value(f"warc/recovery/{result.action}")

    def _update_stats(self, writer: WarcWriter) -> None:
        self.stats.set_value("warc/bytes_written", writer.bytes_written)
        self.stats.set_value("warc/files", len(writer.files))
