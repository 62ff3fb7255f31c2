"""URL hygiene rules."""

from __future__ import annotations

import pytest

from crawler.urls import (
    clean_url,
    is_denied,
    looks_like_article,
    looks_like_listing,
    on_domains,
    page_number,
)


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("HTTP://Hub.Example:80/a/?utm_source=x&utm_medium=y#top", "http://hub.example/a/"),
        ("https://hub.example/a/?id=3&fbclid=abc&gclid=1", "https://hub.example/a/?id=3"),
        ("https://hub.example:8443", "https://hub.example:8443/"),
        ("http://hub.example/a/?utm_whatever=1&p=5", "http://hub.example/a/?p=5"),
        ("https://hub.test/a?gclid=1&ref=home&amp=1&mc_cid=2&mc_eid=3", "https://hub.test/a"),
        ("https://hub.test:8443/a/b?q=1", "https://hub.test:8443/a/b?q=1"),
        ("http://user@Hub.test/a/", "http://user@hub.test/a/"),
        ("http://[::1", "http://[::1"),  # unparseable: kept as is, never raises
        # Kept arguments keep their order, repeats and spelling, with or without tracking.
        ("http://hub.test/?b=2&utm_source=x&a=1&b=3", "http://hub.test/?b=2&a=1&b=3"),
        ("http://hub.test/?q=a%20b&UTM_Medium=m&flag", "http://hub.test/?q=a%20b&flag"),
        ("http://hub.test/?q=a%20b&flag", "http://hub.test/?q=a%20b&flag"),
        ("http://hub.test/?utm%5Fsource=x&p=1", "http://hub.test/?p=1"),
    ],
)
def test_clean_url(url: str, clean: str) -> None:
    assert clean_url(url) == clean


def test_clean_url_extra_tracking_parameters() -> None:
    assert clean_url("http://hub.test/a?From=home&id=2", ["from"]) == "http://hub.test/a?id=2"


@pytest.mark.parametrize(
    "url",
    [
        "http://hub.example/a/?share=twitter",
        "http://hub.example/a/?replytocom=12#respond",
        "http://hub.example/a/#respond",
        "http://hub.example/wp-login.php?redirect_to=x",
        "http://hub.example/wp-admin/edit.php",
        "http://hub.example/a/feed/",
        "http://hub.example/?s=query",
        "http://hub.example/wp-content/uploads/photo.jpg",
        "mailto:editor@hub.example",
        "javascript:void(0)",
    ],
)
def test_denied(url: str) -> None:
    assert is_denied(url)


@pytest.mark.parametrize(
    "url", ["http://hub.example/2024/06/18/putin-visit/", "http://hub.example/category/world/"]
)
def test_allowed(url: str) -> None:
    assert not is_denied(url)


def test_shapes() -> None:
    assert looks_like_article("http://h/2024/06/18/some-slug/")
    assert looks_like_article("http://h/?p=123")
    assert looks_like_article("http://h/putin-intends-to-sign-agreement/")
    assert not looks_like_article("http://h/category/world/")
    assert looks_like_listing("http://h/category/world/page/3/")
    assert looks_like_listing("http://h/")
    assert page_number("http://h/category/world/page/7/") == 7
    assert page_number("http://h/news/?paged=4") == 4
    assert page_number("http://h/news/") == 1


def test_on_domains() -> None:
    assert on_domains("http://www.hub.example/x", ["hub.example"])
    assert not on_domains("http://evilhub.example/x", ["hub.example"])


def test_ignored_extensions_are_scrapys() -> None:
    from scrapy.linkextractors import IGNORED_EXTENSIONS as SCRAPYS

    from crawler.urls import IGNORED_EXTENSIONS

    assert tuple(SCRAPYS) == IGNORED_EXTENSIONS
