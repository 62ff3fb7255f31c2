"""Spider middleware that fetches the page requisites of archived pages, so replay looks live.

For each archived page of the configured kinds (articles by default) it asks for the
stylesheets, scripts, images (``srcset`` and lazy-loading attributes too), icons and preloaded
fonts the HTML references, and for each stylesheet its ``url(...)`` and ``@import`` targets.
Requisites come from the source's own domains plus its ``requisite_domains``; each is asked for
once per run, within REQUISITES_MAX_PER_PAGE and REQUISITES_MAX_TOTAL, with hop "E" (embed).

A recrawl does not ask again for a requisite an earlier run archived within
REQUISITES_REFRESH_DAYS (pipelines.db.archived_requisites, read in a thread at spider open):
replay finds it in the archive, and the theme's CSS and JS would otherwise cost every changed
article.

Their responses are archived by the WARC middleware like any other; the callback here is a
no-op, so the spider never mistakes a stylesheet or an image for a page.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from parsel import Selector
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse

from crawler.discovery import page_kind
from crawler.urls import on_domains
from pipelines.db.archived_requisites import load_archived
from pipelines.db.engine import make_engine

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s][^)\s]*))\s*\)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]+)"|'([^']+)')""", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
# <link rel=...> values whose href a browser fetches to render the page.
_LINK_RELS = frozenset({"stylesheet", "icon", "apple-touch-icon", "modulepreload"})
_PRELOAD_AS = frozenset({"style", "script", "font", "image"})
# Attributes holding one URL each (lazy-loading plugins move src into data-*).
_URL_XPATH = (
    "//script/@src | //img/@src | //img/@data-src | //img/@data-lazy-src"
    " | //video/@poster | //input[@type='image']/@src | //body/@background"
)
_SRCSET_XPATH = "//img/@srcset | //img/@data-srcset | //img/@data-lazy-srcset | //source/@srcset"
_SOCIAL_XPATH = (
    "//meta[@property='og:image' or @property='og:image:url' or @name='twitter:image']/@content"
)


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` value, parsed as HTML does ("a.jpg 1x, b.jpg 2x")."""
    urls: list[str] = []
    position, end = 0, len(value)
    while True:
        while position < end and (value[position].isspace() or value[position] == ","):
            position += 1
        if position >= end:
            return urls
        start = position
        while position < end and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # skip the descriptors ("300w", "2x") up to the next comma
            while position < end and value[position] != ",":
                position += 1
        if url:
            urls.append(url)


def css_references(text: str) -> list[str]:
    """``url(...)`` and ``@import "..."`` targets of a stylesheet or style attribute."""
    text = _CSS_COMMENT.sub("", text)
    found = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(text)]
    found += [m.group(1) or m.group(2) for m in _CSS_IMPORT.finditer(text)]
    return [url.strip() for url in found if url.strip()]


def html_references(selector: Selector, social_images: bool = False) -> list[str]:
    """Every requisite URL an HTML page references, relative as written, in document order."""
    found: list[str] = []
    for link in selector.xpath("//link[@href]"):
        rels = set((link.attrib.get("rel") or "").lower().split())
        preload = "preload" in rels and (link.attrib.get("as") or "").lower() in _PRELOAD_AS
        if rels & _LINK_RELS or preload:
            found.append(link.attrib["href"])
    found += selector.xpath(_URL_XPATH).getall()
    for value in selector.xpath(_SRCSET_XPATH).getall():
        found += srcset_urls(value)
    for css in selector.xpath("//style/text() | //@style").getall():
        found += css_references(css)
    if social_images:
        found += selector.xpath(_SOCIAL_XPATH).getall()
    return [url.strip() for url in found if url and url.strip()]


def is_stylesheet(response: Response) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    return content_type.startswith("text/css") or urlsplit(response.url).path.endswith(".css")


class RequisitesMiddleware:
    """Adds requisite requests after the spider's output for archived pages and stylesheets."""

    def __init__(
        self,
        crawler: Crawler | None = None,
        *,
        page_kinds: Iterable[str] = ("article",),
        max_per_page: int = 100,
        max_total: int = 5000,
        social_images: bool = False,
        priority: int = 30,
        refresh_days: float = 30.0,
        archive: tuple[str, int, str | None] | None = None,
    ) -> None:
        self.crawler = crawler
        self.page_kinds = frozenset(page_kinds)
        self.max_per_page = max_per_page
        self.max_total = max_total
        self.social_images = social_images
        self.priority = priority
        # URLs considered this run (each once) and how many of them were asked for.
        self.seen: set[str] = set()
        self.asked = 0
        # Earlier runs' copies younger than `refresh` are not fetched again (0: always fetched).
        self.refresh = timedelta(days=refresh_days)
        self.archive = archive  # (database URL, source id or 0, WARC folder)
        self.archived: dict[str, datetime] = {}
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("REQUISITES_ENABLED", True):
            raise NotConfigured("REQUISITES_ENABLED is off")
        archive = None
        if settings.get("DB_URL"):
            warc_dir = settings.get("WARC_DIR") or None
            archive = (settings["DB_URL"], settings.getint("DB_SOURCE_ID"), warc_dir)
        middleware = cls(
            crawler,
            page_kinds=settings.getlist("REQUISITES_PAGE_KINDS", ["article"]),
            max_per_page=settings.getint("REQUISITES_MAX_PER_PAGE", 100),
            max_total=settings.getint("REQUISITES_MAX_TOTAL", 5000),
            social_images=settings.getbool("REQUISITES_SOCIAL_IMAGES", False),
            priority=settings.getint("REQUISITES_PRIORITY", 30),
            refresh_days=settings.getfloat("REQUISITES_REFRESH_DAYS", 30.0),
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
            self.archived = await asyncio.to_thread(_load, url, source, since, warc_dir)
        except Exception as exc:  # an optimization only: crawl on, fetching every requisite
            logger.warning("requisites: cannot read what is archived (%s)", exc)
            return
        if self.crawler is not None and self.crawler.stats is not None:
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

    def parse_requisite(self, response: Response) -> Iterable[Any]:
        """Callback of requisite requests: archived already, nothing to extract."""
        return ()

    @property
    def _callback(self) -> Callable[[Response], Iterable[Any]]:
        """The spider's own no-op callback when it has one: a spider method survives a disk
        queue or a shared Redis frontier, which serialize callbacks by name; ours would not."""
        spider = self.crawler.spider if self.crawler is not None else None
        return getattr(spider, "parse_requisite", self.parse_requisite)

    def requisites(self, response: Response) -> list[Request]:
        """Requests for what response needs to render, not asked for yet this run."""
        if response.status != 200 or not isinstance(response, TextResponse):
            return []
        meta = response.request.meta if response.request is not None else {}
        if meta.get("requisite"):
            if not is_stylesheet(response):
                return []
            references = css_references(response.text)
        elif isinstance(response, HtmlResponse) and self._wanted(response):
            references = html_references(response.selector, self.social_images)
        else:
            return []
        return self._requests(response, references, meta.get("hops", "") + "E")

    def _wanted(self, response: HtmlResponse) -> bool:
        """Whether the page is of a kind whose requisites are fetched."""
        return bool(self.page_kinds) and page_kind(response.selector, response.url) in (
            self.page_kinds
        )

    def _requests(self, response: Response, references: list[str], hops: str) -> list[Request]:
        own, extra = self._domains(response)
        requests: list[Request] = []
        for reference in references:
            if len(requests) >= self.max_per_page:
                break
            if self.max_total and self.asked >= self.max_total:
                self._count("newshub/requisites/over_limit")
                break
            url = urldefrag(response.urljoin(reference))[0]
            if urlsplit(url).scheme not in ("http", "https") or url in self.seen:
                continue
            offsite = not on_domains(url, own)
            if offsite and not on_domains(url, extra):
                self._count("newshub/requisites/offsite")
                continue
            self.seen.add(url)
            meta = {"hops": hops, "requisite": True}
            if offsite:
                meta["allow_offsite"] = True
            request = Request(url, callback=self._callback, priority=self.priority, meta=meta)
            if self._archived(request.url):
                self._count("newshub/requisites/archived")
                continue
            requests.append(request)
            self.asked += 1
        if requests:
            self._count("newshub/requisites/requested", len(requests))
        return requests

    def _archived(self, url: str) -> bool:
        """Whether an earlier run archived url recently enough for replay to use its copy."""
        fetched = self.archived.get(url)
        return fetched is not None and self.clock() - fetched < self.refresh

    def _domains(self, response: Response) -> tuple[list[str], list[str]]:
        """The site's own domains and the source's extra requisite domains."""
        spider = self.crawler.spider if self.crawler is not None else None
        source = getattr(spider, "source", None)
        own = list(getattr(spider, "allowed_domains", None) or [])
        if not own:
            own = [(urlsplit(response.url).hostname or "").removeprefix("www.")]
        return own, list(getattr(source, "requisite_domains", ()) or ())

    def _count(self, key: str, count: int = 1) -> None:
        stats = self.crawler.stats if self.crawler is not None else None
        if stats is not None:
            stats.inc_value(key, count)


def _load(
    url: str, source: int | str, since: datetime, warc_dir: str | None
) -> dict[str, datetime]:
    engine = make_engine(url)
    try:
        return load_archived(engine, source, since, warc_dir)
    finally:
        engine.dispose()
