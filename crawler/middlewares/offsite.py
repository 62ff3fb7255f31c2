"""Downloader middleware: off-site means another host, scheme or port than the source's home.

Scrapy's OffsiteMiddleware compares host names with the spider's ``allowed_domains`` only, so
a page on another port of the same host (another site, as often as not) would be crawled.
This subclass overrides its documented ``should_follow`` hook: a request stays on site when
Scrapy's host check passes and its scheme and port are those of the source's home. http and
https on their default ports count as one site: hubs move from one to the other by redirect.

Everything else is Scrapy's: requests with ``meta["allow_offsite"]`` (page requisites from a
CDN) or ``dont_filter`` pass, and the check also runs when a request is scheduled, so an
off-site link or redirect is never queued, let alone fetched. The add-on (crawler.addon) puts
it in the place of Scrapy's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from urllib.parse import ParseResult

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

_DEFAULT_PORTS = {"http": 80, "https": 443}


def site_port(parts: SplitResult | ParseResult) -> tuple[str, int] | None:
    """What besides the host tells two sites apart: (scheme, port), one value for http on 80
    and https on 443; None for a URL with an invalid port or a scheme that is not HTTP."""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return ("default", 0) if port == _DEFAULT_PORTS[scheme] else (scheme, port)


class HomeOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's OffsiteMiddleware, also keeping to the scheme and port of ``spider.source.home``."""

    def should_follow(self, request: Request, spider: Spider) -> bool:
        if not super().should_follow(request, spider):
            return False
        home = getattr(getattr(spider, "source", None), "home", None)
        if not home:  # a spider without a source: Scrapy's host check alone, as in Scrapy
            return True
        return site_port(urlparse_cached(request)) == site_port(urlsplit(home))


def on_site_check(crawler: Crawler) -> Callable[[Request], bool]:
    """The off-site middleware's verdict on a request, for spider middlewares that count links
    (everything passes when no off-site middleware is enabled). Call it once the engine exists.
    """
    offsite = crawler.get_downloader_middleware(OffsiteMiddleware)
    spider = crawler.spider
    if offsite is None or spider is None:
        return lambda request: True
    return lambda request: offsite.should_follow(request, spider)
