"""When an archived article is worth another request: the recrawl policy and its shared state.

A scheduled run should cost in proportion to what changed. An archived article is fetched
again when the source's own change signal differs from the one recorded when it was last seen
(the REST API's `modified_gmt`, else a sitemap's raw `<lastmod>`: any difference counts, so a
site whose clock or timezone is off, or that backdates edits, is still rechecked); without a
recorded signal, when a sitemap or feed date says it changed since it was last seen; when it is
recent (corrections come in the first days), or, rarely, when it has not been looked at for
long; every refetch carries its validators, so an unchanged page costs a 304.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy.settings import BaseSettings

from pipelines.db.known_articles import Known, KnownArticle

# request.meta keys discovery sets (besides crawler.identity.POST_ID_META, the post id): the
# `modified_gmt` the REST API gave (str, exactly as sent), the raw sitemap `<lastmod>`, and
# "a later page of a REST listing".
SOURCE_MODIFIED = "newshub_source_modified"
SOURCE_LASTMOD = "newshub_source_lastmod"
NEXT_PAGE = "newshub_next_page"
# A site's clock and ours disagree a little: a lastmod this close to last_seen counts as newer.
LASTMOD_MARGIN = timedelta(minutes=10)
_PAGINATION = re.compile(r"/page/\d+/?$")
_PAGE_QUERY = re.compile(r"([?&])(?:paged|page)=\d+&?")


@dataclasses.dataclass(frozen=True)
class RecrawlPolicy:
    """Settings INCREMENTAL_RECHECK_DAYS, _RECHECK_INTERVAL (seconds) and _RECHECK_OLD_DAYS."""

    recheck_days: float
    recheck_interval: float
    recheck_old_days: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RecrawlPolicy:
        return cls(
            recheck_days=settings.getfloat("INCREMENTAL_RECHECK_DAYS"),
            recheck_interval=settings.getfloat("INCREMENTAL_RECHECK_INTERVAL"),
            recheck_old_days=settings.getfloat("INCREMENTAL_RECHECK_OLD_DAYS"),
        )

    def reason(
        self,
        url: str,
        known: KnownArticle,
        lastmod: datetime | None,
        now: datetime,
        signals: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Why to fetch an archived article again ('changed', 'recent', 'due'), or None.

        `signals`: the request's meta, where discovery put the source's change signals."""
        same = exact_change(known, signals or {})
        if same is True:
            return "changed"
        if same is None and lastmod is not None:
            if lastmod.tzinfo is None:
                lastmod = lastmod.replace(tzinfo=UTC)
            if lastmod > known.last_seen - LASTMOD_MARGIN:
                return "changed"
        since = now - known.last_seen
        born = known.published_at or known.first_seen
        if now - born <= timedelta(days=self.recheck_days):
            return "recent" if since >= timedelta(seconds=self.recheck_interval) else None
        if since >= timedelta(days=self.recheck_old_days) * spread(url):
            return "due"
        return None


def exact_change(known: KnownArticle, signals: Mapping[str, Any]) -> bool | None:
    """Whether the source's own signal differs from the recorded one; None when there is no
    pair to compare (nothing recorded, or the request carries no signal of that kind)."""
    for key, recorded in (
        (SOURCE_MODIFIED, known.source_modified),
        (SOURCE_LASTMOD, known.source_lastmod),
    ):
        value = signals.get(key)
        if value and recorded:
            return value != recorded
    return None


def spread(url: str) -> float:
    """A stable factor in [0.5, 1.5) per URL, so old articles' rechecks don't all fall on
    the same run a month after the first crawl."""
    return 0.5 + (zlib.crc32(url.encode("utf-8")) % 1000) / 1000


def listing_root(url: str) -> str:
    """A listing URL without its page number: all pages of one listing share it."""
    url = _PAGINATION.sub("/", url)
    return _PAGE_QUERY.sub(lambda m: m[1], url).rstrip("?&")


class RecrawlState:
    """One crawl's view of the archive, shared by the conditional and incremental middlewares.

    The downloader middleware owns it and loads `known` at spider open; the spider middleware
    finds that middleware through the crawler (`get_downloader_middleware`) and reads it.
    """

    def __init__(self) -> None:
        self.known = Known()
        # Archived URLs sent to the downloader, and those the spider middleware held back.
        self.requested: set[str] = set()
        self.dropped: set[str] = set()
        # URL -> (source_modified, source_lastmod) of articles seen this run, written back.
        self.signals: dict[str, tuple[str | None, str | None]] = {}

    def learn(self, url: str, meta: Mapping[str, Any]) -> None:
        """Remember the change signals a request for an article carried, if any."""
        modified, lastmod = meta.get(SOURCE_MODIFIED), meta.get(SOURCE_LASTMOD)
        if modified or lastmod:
            self.signals[url] = (modified, lastmod)

    @property
    def skipped(self) -> int:
        """Archived articles this run found links to but never requested."""
        return len(self.dropped - self.requested)
