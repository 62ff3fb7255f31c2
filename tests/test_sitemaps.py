"""Every sitemap dialect WordPress hubs serve, from fixtures that reproduce each generator's markup.

Where each fixture's markup comes from (and its licence): tests/sitemaps/SOURCES.md.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.sitemaps import Entry, parse_sitemap

SITEMAPS = Path(__file__).parent / "sitemaps"
TEHRAN = timezone(timedelta(hours=3, minutes=30))
MEDIA = (".jpg", ".png", ".mp4")


def entries(name: str) -> list[Entry]:
    return list(parse_sitemap((SITEMAPS / name).read_bytes()))


def test_no_media_url_is_ever_an_entry() -> None:
    """Image and video locations (`<image:loc>`, `<video:*_loc>`) sit inside each entry."""
    for path in sorted(SITEMAPS.glob("*.xml")):
        for entry in parse_sitemap(path.read_bytes()):
            assert not entry.url.endswith(MEDIA), (path.name, entry.url)
            assert "youtube.com" not in entry.url, (path.name, entry.url)


@pytest.mark.parametrize(
    ("name", "children"),
    [
        (
            "yoast-sitemap_index.xml",
            [
                "post-sitemap.xml",
                "post-sitemap2.xml",
                "page-sitemap.xml",
                "category-sitemap.xml",
                "post_tag-sitemap.xml",
                "author-sitemap.xml",
            ],
        ),
        (
            "rankmath-sitemap_index.xml",
            ["post-sitemap1.xml", "post-sitemap2.xml", "page-sitemap.xml", "category-sitemap.xml"],
        ),
        ("aioseo-sitemap.xml", ["post-sitemap.xml", "post-sitemap2.xml", "category-sitemap.xml"]),
        (
            "wp-sitemap.xml",
            [
                "wp-sitemap-posts-post-1.xml",
                "wp-sitemap-posts-page-1.xml",
                "wp-sitemap-taxonomies-category-1.xml",
                "wp-sitemap-users-1.xml",
            ],
        ),
    ],
)
def test_sitemap_indexes(name: str, children: list[str]) -> None:
    index = entries(name)
    assert [e.url for e in index] == [f"https://hub.test/{child}" for child in children]
    assert all(e.is_sitemap for e in index)


def test_index_lastmod_is_the_child_sitemaps_own() -> None:
    assert entries("rankmath-sitemap_index.xml")[1].lastmod == datetime(
        2024, 2, 11, 10, 3, 52, tzinfo=TEHRAN
    )
    assert entries("aioseo-sitemap.xml")[0].lastmod == datetime(2024, 6, 18, 9, 12, 44, tzinfo=UTC)


def test_rank_math_post_sitemap() -> None:
    posts = entries("rankmath-post-sitemap1.xml")
    assert [(e.url, e.lastmod_raw) for e in posts] == [
        ("https://hub.test/2024/06/18/port-reopens/", "2024-06-18T12:42:44+03:30"),
        ("https://hub.test/2024/06/17/budget-vote/", "2024-06-18T00:33:10+03:30"),
        (
            "https://hub.test/2024/06/16/%d8%a8%d8%a7%d8%b2%d8%a7%d8%b1/",
            "2024-06-16T19:05:00+03:30",
        ),
    ]
    assert posts[1].lastmod == datetime(2024, 6, 17, 21, 3, 10, tzinfo=UTC)
    assert not any(e.is_sitemap for e in posts)


def test_yoast_post_sitemap_with_images() -> None:
    posts = entries("yoast-post-sitemap.xml")
    assert [e.url for e in posts][1:] == [
        "https://hub.test/2024/06/18/port-reopens/",
        "https://hub.test/2024/06/17/budget-vote/",
    ]
    assert posts[2].lastmod_raw == "2024-06-17T21:03:10+00:00"


def test_aioseo_post_sitemap_cdata_and_hreflang_alternates() -> None:
    posts = entries("aioseo-post-sitemap.xml")
    english, french, budget = posts
    assert english.url == "https://hub.test/2024/06/18/port-reopens/"
    assert english.lastmod == datetime(2024, 6, 18, 9, 12, 44, tzinfo=UTC)
    assert english.alternates == (
        "https://hub.test/fr/2024/06/18/le-port-rouvre/",
        "https://hub.test/2024/06/18/port-reopens/",
    )
    assert french.url == "https://hub.test/fr/2024/06/18/le-port-rouvre/"
    assert french.lastmod_raw == "2024-06-18T09:20:02+00:00"
    assert budget.url == "https://hub.test/2024/06/17/budget-vote/" and budget.alternates == ()


def test_video_sitemap_keeps_the_page() -> None:
    (page,) = entries("aioseo-video-sitemap.xml")
    assert page.url == "https://hub.test/2024/06/18/port-reopens/"
    assert page.lastmod_raw == "2024-06-18T09:12:44+00:00"


def test_wordpress_core_post_sitemap_has_no_lastmod() -> None:
    posts = entries("wp-sitemap-posts-post-1.xml")
    assert len(posts) == 3 and all(e.lastmod is None and e.lastmod_raw is None for e in posts)


def test_google_news_hints() -> None:
    news = entries("sitemap-news.xml")
    first = news[0]
    assert first.url == "https://hub.test/2024/06/18/port-reopens/"
    assert first.news == {
        "publication_date": "2024-06-18T09:12:44+00:00",
        "title": "Port reopens",
        "keywords": "port, shipping",
    }
    # No <lastmod>: the publication date is the date hint, and nothing raw is recorded.
    assert first.lastmod == datetime(2024, 6, 18, 9, 12, 44, tzinfo=UTC)
    assert first.lastmod_raw is None


def test_gzip_sitemaps_and_indexes_of_indexes() -> None:
    gzipped = gzip.compress((SITEMAPS / "rankmath-post-sitemap1.xml").read_bytes())
    assert [e.url for e in parse_sitemap(gzipped)] == [
        e.url for e in entries("rankmath-post-sitemap1.xml")
    ]
    # A network-wide index whose children are themselves indexes (multisite, news networks).
    top = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        b"\t<sitemap>\n\t\t<loc>https://hub.test/sitemap_index.xml</loc>\n\t</sitemap>\n"
        b"\t<sitemap>\n\t\t<loc>https://hub.test/sitemaps/archive-2023.xml.gz</loc>\n\t</sitemap>\n"
        b"</sitemapindex>"
    )
    assert [(e.url, e.is_sitemap) for e in parse_sitemap(gzip.compress(top))] == [
        ("https://hub.test/sitemap_index.xml", True),
        ("https://hub.test/sitemaps/archive-2023.xml.gz", True),
    ]


def test_truncated_sitemap_keeps_what_came_before() -> None:
    body = (SITEMAPS / "rankmath-post-sitemap1.xml").read_bytes()
    cut = body[: body.index(b"budget-vote") + 40]
    assert [e.url for e in parse_sitemap(cut)][:1] == ["https://hub.test/2024/06/18/port-reopens/"]


def test_not_a_sitemap() -> None:
    assert list(parse_sitemap(b"<html><body><url><loc>http://h/x</loc></url></body></html>")) == []
    assert list(parse_sitemap(b"   ")) == []
