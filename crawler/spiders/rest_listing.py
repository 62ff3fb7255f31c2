"""The hub spider's WordPress REST API discovery: its callbacks, mixed into HubSpider.

The home page's announcement starts the listing (`HubSpider.parse_page`); crawler.wp_rest
reads it. Each post's id and `modified_gmt` ride on the request for its page; later pages are
marked so the incremental middleware can stop the listing at the first unchanged post.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import scrapy
from scrapy.http import Response

from crawler import wp_rest
from crawler.identity import POST_ID_META
from crawler.recrawl_policy import NEXT_PAGE, SOURCE_MODIFIED
from crawler.sitemaps import parse_w3c_date

if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)
# Statuses of a disabled or protected API, read (and ignored) instead of logged as errors.
FALLBACK_STATUSES = [400, 401, 403, 404, 410]


class RestListing:
    """`parse_rest` and its requests; HubSpider provides `_follow`, `_request` and the
    scheduler priority of discovery requests."""

    rest_priority: int
    crawler: Crawler
    if TYPE_CHECKING:  # HubSpider's

        def _follow(
            self,
            url: str,
            referrer: Response,
            *,
            lastmod: datetime | None = None,
            hints: dict[str, str] | None = None,
        ) -> scrapy.Request | None: ...

        def _request(
            self, url: str, callback: Any, referrer: Response | str, priority: int = 0
        ) -> scrapy.Request: ...

    def parse_rest(self, response: Response) -> Iterable[scrapy.Request | None]:
        """One page of the REST posts listing; silent when the API is off (401/403/404)."""
        if response.status != 200:
            logger.debug("REST API not available (%s): %s", response.status, response.url)
            return
        self.crawler.stats.inc_value("newshub/discovery/rest_pages")
        for post in wp_rest.parse_posts(response.body):
            hints = {POST_ID_META: post.id}
            if post.modified_gmt:
                hints[SOURCE_MODIFIED] = post.modified_gmt
            lastmod = parse_w3c_date(post.modified_gmt + "Z") if post.modified_gmt else None
            yield self._follow(post.link, response, lastmod=lastmod, hints=hints)
        page = response.meta.get("rest_page", 1)
        if page < wp_rest.total_pages(response.headers.get(b"X-WP-TotalPages")):
            # The incremental middleware holds it back once this page showed an unchanged post.
            yield self._rest_request(response.meta["rest_root"], page + 1, response)

    def rest_failed(self, failure: Failure) -> None:
        """robots.txt forbids the API, or the request failed: the other sources remain."""
        logger.debug("REST API skipped: %s", failure.getErrorMessage())

    def _rest_request(self, root: str, page: int, referrer: Response) -> scrapy.Request:
        request = self._request(
            wp_rest.posts_url(root, page), self.parse_rest, referrer, self.rest_priority
        )
        request.errback = self.rest_failed
        request.headers[b"Accept"] = b"application/json"
        request.meta.update(
            rest_root=root, rest_page=page, handle_httpstatus_list=FALLBACK_STATUSES
        )
        if page > 1:
            request.meta[NEXT_PAGE] = True
        return request
