"""The hub spider: finds a news hub's articles the ways hubs expose them, and extracts them.

Discovery starts from the home page, robots.txt `Sitemap:` lines, configured sitemaps and
feeds, the WordPress REST API and the feeds the home page announces; category, tag and
paginated listing pages are followed within limits. Each page is read once, in an extraction
worker process (crawler.page_reading): its kind (article or listing, decided from the page
itself), links, identity, requisites and Article. What a sitemap or the REST API said about a
URL (its raw `lastmod`, the post id and `modified_gmt`) rides on the request's meta, and
reaches the article's response whichever discovery source's request was the one sent.

A link already sent on (crawler.middlewares.repeats knows) never becomes a Request; Scrapy's
off-site filter (crawler.middlewares.offsite) and duplicate filter (or crawler.frontier's)
drop the rest when they are scheduled.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse

from crawler.config import Source, adhoc_source
from crawler.discovery import parse_feed, parse_sitemap, robots_sitemaps
from crawler.extraction import SiteRules
from crawler.extraction.pool import ExtractionPool, default_processes
from crawler.fingerprints import UrlMap
from crawler.identity import POST_ID_META, scoped_post_id
from crawler.items import ArticleItem
from crawler.middlewares.repeats import RepeatedLinksMiddleware
from crawler.middlewares.requisites import RequisitesMiddleware
from crawler.page_reading import PAGE_READING_META, LinkPolicy, PageReading
from crawler.recrawl_policy import SOURCE_LASTMOD, SOURCE_MODIFIED
from crawler.spiders.rest_listing import RestListing
from crawler.urls import clean_url, followable, looks_like_article, page_number

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

# Scheduler priorities: articles before listings, so `--max-articles` is reached quickly.
ARTICLE_PRIORITY = 10
DISCOVERY_PRIORITY = 20
# Links whose deny check and cleaning are remembered: menus, widgets and related-post blocks
# repeat the same hrefs on every page. Bounded, so memory stays flat on any hub.
LINK_CACHE_SIZE = 4096


class HubSpider(RestListing, scrapy.Spider):
    name = "hub"
    rest_priority = DISCOVERY_PRIORITY
    # Set from the settings by from_crawler (HUB_MAX_LISTING_PAGES, HUB_TRACKING_PARAMS, ...).
    max_listing_pages: int
    tracking_params: list[str]
    obey_robots: bool
    discover_sitemaps: bool
    discover_feeds: bool
    discover_rest_api: bool
    discover_listings: bool

    def __init__(self, source: Source | None = None, home: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if source is None:  # `scrapy crawl hub -a home=https://...`
            if not home:
                raise ValueError("HubSpider needs a source or -a home=URL")
            source = adhoc_source(home)
        self.source = source
        self.allowed_domains = list(source.domains)
        self.rules = SiteRules.from_mapping(source.rules) if source.rules else None
        self.max_articles = source.max_articles
        self.articles_seen = 0
        self.seed_error: str | None = None
        self.repeats: RepeatedLinksMiddleware | None = None
        self.requisites: RequisitesMiddleware | None = None
        self.extraction = ExtractionPool(0)
        self._link = functools.lru_cache(maxsize=LINK_CACHE_SIZE)(self._followable)
        # URL -> what discovery said about it (POST_ID_META, SOURCE_MODIFIED, SOURCE_LASTMOD)
        # after its request was sent without it, until its article is extracted (what comes
        # later goes straight to `learned`).
        self.hints: dict[str, dict[str, str]] = {}
        # Requested URL -> the extracted article's URL (8 bytes when they are the same URL);
        # that URL -> (source_modified, source_lastmod) as last heard of, even from a listing
        # that came after the fetch.
        # The conditional middleware writes `learned` back at close (crawler.recrawl_policy).
        self.extracted = UrlMap()
        self.learned: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_articles = settings.getint("HUB_MAX_ARTICLES") or spider.max_articles
        spider.max_listing_pages = settings.getint("HUB_MAX_LISTING_PAGES")
        spider.tracking_params = settings.getlist("HUB_TRACKING_PARAMS")
        spider.obey_robots = settings.getbool("ROBOTSTXT_OBEY")
        processes = settings.get("HUB_EXTRACTION_PROCESSES")
        spider.extraction = ExtractionPool(
            default_processes() if processes is None else int(processes)
        )
        crawler.signals.connect(spider.close_extraction, signal=signals.spider_closed)
        spider.discover_sitemaps = settings.getbool("HUB_DISCOVER_SITEMAPS")
        spider.discover_feeds = settings.getbool("HUB_DISCOVER_FEEDS")
        spider.discover_rest_api = settings.getbool("HUB_DISCOVER_REST_API")
        spider.discover_listings = settings.getbool("HUB_DISCOVER_LISTINGS")
        crawler.signals.connect(spider.robots_received, signal=signals.response_received)
        crawler.signals.connect(spider.find_middlewares, signal=signals.spider_opened)
        return spider

    def find_middlewares(self, spider: scrapy.Spider) -> None:
        """The middlewares the spider works with (the engine, and so they, exist by now): a link
        the repeated-links middleware already sent on is not made into a Request at all, which
        spares a fifth of the crawl's CPU; the requisites middleware says which pages' requisites
        it asks for, which the worker that reads the page then lists."""
        self.repeats = self.crawler.get_spider_middleware(RepeatedLinksMiddleware)
        self.requisites = self.crawler.get_spider_middleware(RequisitesMiddleware)

    @property
    def link_policy(self) -> LinkPolicy:
        """Which of a page's links are followed: applied by the worker that reads the page."""
        return LinkPolicy(tuple(self.tracking_params), listings=self.discover_listings)

    async def close_extraction(self, spider: scrapy.Spider) -> None:
        await self.extraction.close()

    async def start(self) -> AsyncIterator[Any]:
        home = self.source.home
        yield scrapy.Request(
            home, callback=self.parse_page, errback=self.seed_failed, meta={"hops": ""}
        )
        if (
            not self.obey_robots and self.discover_sitemaps
        ):  # else RobotsTxtMiddleware fetches it: see robots_received
            yield self._request(urljoin(home, "/robots.txt"), self.parse_robots, "P")
        for url in self.source.sitemaps:
            yield self._request(url, self.parse_sitemap, "", DISCOVERY_PRIORITY)
        for url in self.source.feeds:
            yield self._request(url, self.parse_feed, "", DISCOVERY_PRIORITY)

    def seed_failed(self, failure: Failure) -> None:
        """Remember why the home page could not be fetched; the runner reports it."""
        self.seed_error = failure.getErrorMessage() or repr(failure.value)
        logger.error("cannot fetch %s: %s", self.source.home, self.seed_error)

    def robots_received(self, response: Response, request: scrapy.Request) -> None:
        """Read `Sitemap:` lines from the robots.txt that RobotsTxtMiddleware fetched.

        Saves a second fetch of robots.txt per crawl; the middleware's request is marked
        `dont_obey_robotstxt` and never reaches a spider callback. Sitemaps an off-site host's
        robots.txt (a CDN's) names are dropped by the off-site filter like any other request.
        """
        if (
            not request.meta.get("dont_obey_robotstxt")
            or urlsplit(request.url).path != "/robots.txt"
        ):
            return
        for sitemap_request in self.parse_robots(response):
            self.crawler.engine.crawl(sitemap_request)

    def parse_requisite(self, response: Response) -> Iterable[Any]:
        """Stylesheets, scripts, images: archived by the WARC middleware, nothing to extract."""
        return ()

    def parse_robots(self, response: Response) -> Iterable[scrapy.Request]:
        if not self.discover_sitemaps:
            return
        sitemaps = robots_sitemaps(response.body) if response.status == 200 else []
        if not sitemaps and not self.source.sitemaps:
            sitemaps = [urljoin(response.url, "/sitemap.xml")]
        for url in sitemaps:
            yield self._request(url, self.parse_sitemap, response, DISCOVERY_PRIORITY)

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request | None]:
        for entry in parse_sitemap(response.body):
            if entry.is_sitemap:
                yield self._request(entry.url, self.parse_sitemap, response, DISCOVERY_PRIORITY)
            # A sitemap names each URL once: cleaned without the link cache, which it would
            # only fill (crawl memory).
            elif (url := followable(entry.url, self.tracking_params)) is not None:
                hints = {SOURCE_LASTMOD: entry.lastmod_raw} if entry.lastmod_raw else {}
                yield self._follow(url, response, lastmod=entry.lastmod, hints=hints, cleaned=True)

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request | None]:
        for entry in parse_feed(response.body):
            yield self._follow(entry.url, response, lastmod=entry.lastmod)

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        for key, value in self.hints.get(asked, {}).items():
            response.meta.setdefault(key, value)  # another source's request was the one sent
        reading = await self._read(response)
        response.meta[PAGE_READING_META] = reading  # the requisites middleware's references
        self.crawler.stats.inc_value(f"newshub/pages/{reading.kind}")
        if reading.article is not None:
            item = self._item(response, reading)
            if item is not None:
                yield item
                if self.max_articles and self.articles_seen >= self.max_articles:
                    raise CloseSpider("max_articles")
                for url in item.editions.values():  # every language edition is archived
                    if (request := self._follow(url, response)) is not None:
                        yield request
        if response.meta.get("hops", "") == "":
            if self.discover_rest_api and reading.api_root:
                yield self._rest_request(reading.api_root, 1, response)
            if self.discover_feeds:
                for url in reading.feeds:
                    yield self._request(url, self.parse_feed, response)
        for url in reading.links:  # cleaned, as LinkPolicy says
            request = self._follow(url, response, cleaned=True)
            if request is not None:
                yield request

    async def _read(self, response: TextResponse) -> PageReading:
        """The page's kind, links, identity, requisites and (for an article, while more are
        wanted) its Article: parsing and extraction are CPU work, done in another process."""
        headers = {
            key.decode("latin-1"): values[-1].decode("latin-1")
            for key, values in response.headers.items()
            if values
        }
        requisites = self.requisites
        return await self.extraction.read(
            response.body,
            response.url,
            headers,
            self.rules,
            link_header=b", ".join(response.headers.getlist(b"Link")).decode("latin-1"),
            follow=self.link_policy,
            announcements=response.meta.get("hops", "") == "",  # seeds' feeds and API root
            extract_article=not (self.max_articles and self.articles_seen >= self.max_articles),
            requisite_kinds=requisites.page_kinds if requisites is not None else (),
            social_images=requisites is not None and requisites.social_images,
        )

    def _item(self, response: TextResponse, reading: PageReading) -> ArticleItem | None:
        """The item for the article read, or None once max_articles are archived (pages read
        at the same time may all have been articles)."""
        article = reading.article
        if article is None or (self.max_articles and self.articles_seen >= self.max_articles):
            return None
        self.articles_seen += 1
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        url = clean_url(article.url, self.tracking_params)
        article.url = asked if url == asked else url  # one string kept in learned, not two
        if article.problems:  # truncated, huge, binary or broken pages: partial rows, said why
            logger.warning(
                "partial extraction of %s: %s", response.url, "; ".join(article.problems)
            )
            self.crawler.stats.inc_value("newshub/extraction_problems")
        # Hints heard of meanwhile count; the URL's are not needed after this (crawl memory).
        heard = {**response.meta, **self.hints.pop(asked, {})}
        self.extracted[asked] = article.url
        self._learn(article.url, heard)
        found, how = scoped_post_id(reading.post_id, reading.site_path, heard.get(POST_ID_META))
        if how is not None:
            self.crawler.stats.inc_value(f"newshub/identity/post_id/{how}")
        return ArticleItem(
            source=self.source.name,
            article=article,
            fetched_at=datetime.now(UTC),
            warc_record_id=response.meta.get("warc_record_id"),
            post_id=found,
            editions={
                lang: clean_url(url, self.tracking_params) for lang, url in reading.editions.items()
            },
            redirected_from=[
                clean_url(url, self.tracking_params)
                for url in response.meta.get("redirect_urls", ())
            ],
        )

    def _follow(
        self,
        url: str,
        referrer: Response,
        *,
        lastmod: datetime | None = None,
        hints: dict[str, str] | None = None,
        cleaned: bool = False,
    ) -> scrapy.Request | None:
        """A request for a page worth fetching, or None (url `cleaned` already: followable)."""
        if self.max_articles and self.articles_seen >= self.max_articles:
            return None
        if not cleaned:
            followed = self._link(url)
            if followed is None:
                return None
            url = followed
        repeated = self.repeats is not None and self.repeats.passed_before(url)
        if hints:
            if url in self.extracted:  # read already: what the hints teach is learned
                self._learn(self.extracted[url], hints)
            elif repeated or self.repeats is None:
                # The request sent before lacks them: kept until its page is read (a request
                # made now carries them in its meta; without the repeats middleware, who knows).
                self.hints.setdefault(url, {}).update(hints)
        if repeated:
            return None
        if self.max_listing_pages and page_number(url) > self.max_listing_pages:
            self.crawler.stats.inc_value("newshub/caps/listing_pages")  # named in the summary
            return None
        priority = ARTICLE_PRIORITY if looks_like_article(url) else 0
        request = self._request(url, self.parse_page, referrer, priority)
        if lastmod is not None:
            request.meta["lastmod"] = lastmod
        if hints:
            request.meta.update(hints)
        return request

    def _followable(self, url: str) -> str | None:
        return followable(url, self.tracking_params)

    def _learn(self, url: str, meta: Any) -> None:
        """Remember the change signals meta carries for url; one it lacks stays as learned."""
        modified, lastmod = meta.get(SOURCE_MODIFIED), meta.get(SOURCE_LASTMOD)
        if modified or lastmod:
            earlier_modified, earlier_lastmod = self.learned.get(url, (None, None))
            self.learned[url] = (modified or earlier_modified, lastmod or earlier_lastmod)

    def _request(
        self, url: str, callback: Any, referrer: Response | str, priority: int = 0
    ) -> scrapy.Request:
        hops = referrer if isinstance(referrer, str) else referrer.meta.get("hops", "") + "L"
        return scrapy.Request(url, callback=callback, priority=priority, meta={"hops": hops})
