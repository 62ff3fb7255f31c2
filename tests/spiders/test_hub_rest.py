"""The hub spider's REST API discovery, callback by callback (no network)."""

from __future__ import annotations

import asyncio
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse
from twisted.python.failure import Failure

from crawler.identity import POST_ID_META as POST_ID
from crawler.middlewares.repeats import RepeatedLinksMiddleware
from crawler.recrawl_policy import NEXT_PAGE, SOURCE_MODIFIED
from crawler.spiders.hub import HubSpider
from tests.newshub_crawler import newshub_crawler

HOME = "http://hub.test/"
ROOT = "http://hub.test/wp-json/"
POSTS = (
    b'[{"id":7,"date_gmt":"2024-06-18T09:12:44","modified_gmt":"2024-06-19T10:00:00",'
    b'"link":"http:\\/\\/hub.test\\/2024\\/06\\/18\\/port-reopens\\/","categories":[2],"tags":[]}]'
)


def spider(**settings: Any) -> HubSpider:
    crawler = newshub_crawler(HubSpider, **settings)
    crawler.spider = made = HubSpider.from_crawler(crawler, home=HOME)
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return made


def home_output(hub: HubSpider, **headers: str) -> list[Any]:
    body = b'<html><head><link rel="https://api.w.org/" href="/wp-json/" /></head></html>'
    response = HtmlResponse(HOME, body=body, headers=headers, request=scrapy.Request(HOME))
    response.meta["hops"] = ""

    async def collect() -> list[Any]:
        return [x async for x in hub.parse_page(response)]

    return asyncio.run(collect())


def rest_response(page: int, pages: int, status: int = 200) -> TextResponse:
    request = scrapy.Request(f"{ROOT}wp/v2/posts?page={page}")
    request.meta.update(rest_root=ROOT, rest_page=page, hops="L")
    headers = {"X-WP-TotalPages": str(pages), "Content-Type": "application/json"}
    return TextResponse(request.url, status=status, body=POSTS, headers=headers, request=request)


def test_home_page_announcing_the_api_starts_the_listing() -> None:
    (request,) = [r for r in home_output(spider()) if isinstance(r, scrapy.Request)]
    assert request.url.startswith(f"{ROOT}wp/v2/posts?per_page=100&orderby=modified")
    assert request.headers[b"Accept"] == b"application/json"
    assert 401 in request.meta["handle_httpstatus_list"]
    assert getattr(request.callback, "__name__", "") == "parse_rest"
    assert request.errback is not None and NEXT_PAGE not in request.meta
    # The Link header alone is enough, and a plain-permalink root is kept.
    header = '<http://hub.test/?rest_route=/>; rel="https://api.w.org/"'
    out = home_output(spider(), Link=header)
    assert [r.url.split("&")[0] for r in out] == ["http://hub.test/?rest_route=/wp/v2/posts"]


def test_rest_discovery_can_be_switched_off() -> None:
    assert home_output(spider(HUB_DISCOVER_REST_API=False)) == []


def test_posts_carry_their_id_and_modified_gmt_and_pages_follow() -> None:
    hub = spider()
    first = list(hub.parse_rest(rest_response(1, 2)))
    post, next_page = first
    assert post.url == "http://hub.test/2024/06/18/port-reopens/"
    assert post.meta[POST_ID] == "7" and post.meta[SOURCE_MODIFIED] == "2024-06-19T10:00:00"
    assert next_page.meta[NEXT_PAGE] and next_page.meta["rest_page"] == 2
    assert "page=2" in next_page.url
    assert hub.hints[post.url] == {POST_ID: "7", SOURCE_MODIFIED: "2024-06-19T10:00:00"}
    # The last page asks for no further one.
    assert [r.meta.get("rest_page") for r in spider().parse_rest(rest_response(2, 2))] == [None]


def test_api_disabled_or_forbidden_is_a_silent_fallback() -> None:
    hub = spider()
    for status in (401, 403, 404):
        assert list(hub.parse_rest(rest_response(1, 1, status))) == []
    hub.rest_failed(Failure(IgnoreRequest("Forbidden by robots.txt")))  # logged, not raised


def test_hints_after_extraction_go_to_learned_with_what_was_learned_before() -> None:
    hub = spider()
    url = "http://hub.test/2024/06/18/port-reopens/"
    hub.extracted[url] = url  # read already, with a sitemap's lastmod
    hub.learned[url] = (None, "2024-06-18T09:12:44+00:00")
    list(hub.parse_rest(rest_response(1, 1)))
    assert url not in hub.hints  # nothing kept for a page that is read
    assert hub.learned[url] == ("2024-06-19T10:00:00", "2024-06-18T09:12:44+00:00")


def test_hints_are_kept_aside_only_for_a_request_sent_without_them() -> None:
    hub = spider()
    hub.repeats = RepeatedLinksMiddleware(hub.crawler)  # as find_middlewares sets it
    post, _ = list(hub.parse_rest(rest_response(1, 2)))
    assert post.meta[POST_ID] == "7" and not hub.hints  # the request carries them
    hub.repeats.passed.add(post.url)  # sent on: a later listing's hints wait for its page
    again, _ = list(hub.parse_rest(rest_response(1, 2)))
    assert again is None
    assert hub.hints[post.url] == {POST_ID: "7", SOURCE_MODIFIED: "2024-06-19T10:00:00"}
