"""read_page (the extraction worker's single parse) reads what Scrapy's selector reads.

Each page is read both ways: by read_page, and by the selector-based readers on a Scrapy
HtmlResponse, as the spider did on the reactor thread before the reading moved to the worker.
Real pages from tests/extraction/pages (themes' markup, a windows-1256 Persian page) and the
demo hub's home, listing and article pages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler import wp_rest
from crawler.demo.site import DemoHub
from crawler.discovery import feed_links, page_kind
from crawler.extraction import extract
from crawler.identity import editions, post_id, scoped_post_id
from crawler.page_reading import LinkPolicy, read_page
from crawler.references import html_references
from crawler.urls import followable, looks_like_article

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).parent / "extraction" / "pages"
BASE = "http://hub.test"


def _demo_pages() -> list[tuple[str, bytes, dict[str, str]]]:
    hub = DemoHub(12, seed=5)
    paths = ["/", "/page/2/", hub.articles[0].path, hub.articles[3].path]
    pages = []
    for path in paths:
        rendered = hub.render(path, base_url=BASE, accept_gzip=False)
        pages.append((BASE + path, rendered.body, {"Content-Type": "text/html; charset=UTF-8"}))
    return pages


def _fixture_pages() -> list[tuple[str, bytes, dict[str, str]]]:
    return [
        (f"https://news.example/2024/05/{page.stem}/", page.read_bytes(), {})
        for page in sorted(PAGES.glob("*.html"))
    ]


CASES = _fixture_pages() + _demo_pages()


@pytest.mark.parametrize("url,body,headers", CASES, ids=[c[0] for c in CASES])
def test_read_page_reads_what_the_selector_reads(
    url: str, body: bytes, headers: dict[str, str]
) -> None:
    link = '<https://news.example/wp-json/>; rel="https://api.w.org/"'
    response = HtmlResponse(url, body=body, headers={**headers, "Link": link})
    selector = response.selector
    reading = read_page(
        body, url, headers, None, link_header=link, requisite_kinds={"article", "listing"}
    )

    assert reading.kind == page_kind(selector, url)
    assert reading.links == [response.urljoin(h) for h in selector.xpath("//a/@href").getall()]
    assert reading.feeds == [response.urljoin(h) for h in feed_links(selector)]
    assert reading.api_root == wp_rest.api_root(selector, [link.encode()], url)
    assert reading.requisites == html_references(selector)
    if reading.kind == "article":
        assert reading.article == extract(body, url, headers=headers)
        for rest_id in (None, "77"):
            assert scoped_post_id(reading.post_id, reading.site_path, rest_id) == post_id(
                selector, {"link": link}, rest_id
            )
        assert reading.editions == editions(selector, url)
    else:  # a listing's identity is not read
        assert (reading.article, reading.post_id, reading.editions) == (None, (None, None), {})


def test_options_decide_what_is_read() -> None:
    url, body, headers = _demo_pages()[2]
    reading = read_page(body, url, headers, None, extract_article=False, announcements=False)
    assert reading.kind == "article"
    assert reading.article is None  # max_articles reached: only links are read
    assert reading.post_id == (None, None)
    assert reading.requisites is None  # no kind asked for
    assert (reading.feeds, reading.api_root) == ([], None)  # not a seed page
    assert read_page(body, url, headers, None).feeds
    social = read_page(body, url, headers, None, requisite_kinds={"article"}, social_images=True)
    plain = read_page(body, url, headers, None, requisite_kinds={"article"})
    assert social.requisites is not None and plain.requisites is not None
    assert set(plain.requisites) <= set(social.requisites)


@pytest.mark.parametrize("body", [b"", b"   \n", b"\x00\x01\x02\x89PNG" * 100])
def test_a_page_that_cannot_be_parsed_is_a_listing_without_links(body: bytes) -> None:
    reading = read_page(body, f"{BASE}/2024/01/01/x/", {}, None, requisite_kinds={"article"})
    assert (reading.kind, reading.links, reading.article, reading.requisites) == (
        "listing",
        [],
        None,
        None,
    )


@pytest.mark.parametrize("listings", [True, False])
def test_link_policy_gives_the_links_the_spider_follows(listings: bool) -> None:
    url, body, headers = _demo_pages()[0]  # the home page: menus, listings, articles
    body = body.replace(
        b"</body>",
        b'<a href="/2024/01/02/x/?utm_source=a">x</a><a href="/2024/01/02/x/#respond">r</a>'
        b'<a href="mailto:desk@hub.test">m</a><a href="/feed/">f</a></body>',
    )
    raw = read_page(body, url, headers, None).links
    policy = LinkPolicy(("ref",), listings=listings)
    followed = read_page(body, url, headers, None, follow=policy).links

    expected: dict[str, None] = {}
    for link in raw:
        cleaned = followable(link, ["ref"])
        if cleaned is not None and (listings or looks_like_article(link)):
            expected.setdefault(cleaned)
    assert followed == list(expected)
    assert f"{BASE}/2024/01/02/x/" in followed  # tracking parameter and fragment dropped, once
    assert not any(link.startswith("mailto:") or link.endswith("/feed/") for link in followed)
    assert len(followed) == len(set(followed)) < len(raw)


def test_the_worker_reads_pages_without_importing_scrapy() -> None:
    """The extraction worker imports crawler.page_reading only: Scrapy and Twisted would cost
    each worker process 57 MB and a quarter second."""
    code = (
        "import sys, crawler.page_reading; print(sorted({'scrapy', 'twisted'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"
