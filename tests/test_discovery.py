"""Discovery parsers over the formats news hubs actually serve."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from parsel import Selector

from crawler.discovery import feed_links, page_kind, parse_feed, parse_sitemap, robots_sitemaps

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>http://h/post-sitemap.xml</loc><lastmod>2024-06-18T10:00:00+03:30</lastmod></sitemap>
  <sitemap><loc>http://h/news-sitemap.xml</loc></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>http://h/2024/06/18/a/</loc>
    <news:news><news:publication_date>2024-06-18T08:00:00Z</news:publication_date>
    <news:title>A</news:title></news:news></url>
  <url><loc>http://h/2024/06/17/b/</loc><lastmod>2024-06-17</lastmod></url>
  <url><lastmod>2024-06-17</lastmod></url>
</urlset>"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>A</title><link>http://h/2024/06/18/a/</link>
<pubDate>Tue, 18 Jun 2024 08:00:00 +0000</pubDate></item>
<item><title>B</title><link> http://h/2024/06/17/b/ </link></item></channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><link rel="alternate" href="http://h/a/"/><link rel="replies" href="http://h/a/#c"/>
<updated>2024-06-18T08:00:00Z</updated></entry></feed>"""


def test_robots_sitemaps() -> None:
    body = b"User-agent: *\nDisallow: /wp-admin/\nSitemap: http://h/sitemap_index.xml\n"
    assert robots_sitemaps(body) == ["http://h/sitemap_index.xml"]
    assert robots_sitemaps(b"") == []


def test_sitemap_index_and_news_sitemap() -> None:
    index = list(parse_sitemap(INDEX))
    assert [(e.url, e.is_sitemap) for e in index] == [
        ("http://h/post-sitemap.xml", True),
        ("http://h/news-sitemap.xml", True),
    ]
    assert index[0].lastmod == datetime(2024, 6, 18, 6, 30, tzinfo=UTC)
    news = list(parse_sitemap(gzip.compress(NEWS)))  # .xml.gz sitemaps decompress
    assert [e.url for e in news] == ["http://h/2024/06/18/a/", "http://h/2024/06/17/b/"]
    assert news[0].lastmod == datetime(2024, 6, 18, 8, tzinfo=UTC)
    assert news[1].lastmod == datetime(2024, 6, 17, tzinfo=UTC)


# Markup of real generators (Yoast SEO, WordPress core, XML Sitemap & Google News; all GPL):
# sources in tests/sitemaps/SOURCES.md.
SITEMAPS = Path(__file__).parent / "sitemaps"


def test_yoast_post_sitemap_keeps_the_page_url_not_its_images() -> None:
    """Issue 11: an <image:loc> inside <image:image> used to overwrite the entry's <loc>."""
    entries = list(parse_sitemap((SITEMAPS / "yoast-post-sitemap.xml").read_bytes()))
    assert [(e.url, e.lastmod) for e in entries] == [
        ("https://hub.test/", datetime(2024, 6, 18, 9, 12, 44, tzinfo=UTC)),
        ("https://hub.test/2024/06/18/port-reopens/", datetime(2024, 6, 18, 9, 12, 44, tzinfo=UTC)),
        ("https://hub.test/2024/06/17/budget-vote/", datetime(2024, 6, 17, 21, 3, 10, tzinfo=UTC)),
    ]
    assert not any(e.is_sitemap for e in entries)


def test_wordpress_core_sitemaps() -> None:
    index = list(parse_sitemap((SITEMAPS / "wp-sitemap.xml").read_bytes()))
    assert [e.url for e in index][:2] == [
        "https://hub.test/wp-sitemap-posts-post-1.xml",
        "https://hub.test/wp-sitemap-posts-page-1.xml",
    ]
    assert len(index) == 4 and all(e.is_sitemap and e.lastmod is None for e in index)
    posts = list(parse_sitemap((SITEMAPS / "wp-sitemap-posts-post-1.xml").read_bytes()))
    assert [e.url for e in posts] == [
        "https://hub.test/2024/06/18/port-reopens/",
        "https://hub.test/2024/06/17/budget-vote/",
        "https://hub.test/hello-world/",
    ]


def test_google_news_sitemap_dates_come_from_publication_date() -> None:
    entries = list(parse_sitemap((SITEMAPS / "sitemap-news.xml").read_bytes()))
    assert [(e.url, e.lastmod) for e in entries] == [
        ("https://hub.test/2024/06/18/port-reopens/", datetime(2024, 6, 18, 9, 12, 44, tzinfo=UTC)),
        ("https://hub.test/2024/06/17/budget-vote/", datetime(2024, 6, 17, 21, 3, 10, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    "body",
    [b"\x1f\x8b\x08 not really gzip", gzip.compress(b"<urlset/>")[:12]],
    ids=["garbage", "truncated-header"],
)
def test_broken_gzip_sitemap_yields_nothing(body: bytes) -> None:
    assert list(parse_sitemap(body)) == []


def test_gzip_bomb_sitemap_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.sitemaps

    monkeypatch.setattr(crawler.sitemaps, "_MAX_XML", 1024)
    bomb = gzip.compress(NEWS + b"<!--" + b" " * 4096 + b"-->")
    assert list(parse_sitemap(bomb)) == []
    assert len(list(parse_sitemap(gzip.compress(NEWS)))) == 2  # under the cap: parsed


def test_broken_xml_yields_nothing() -> None:
    assert list(parse_sitemap(b"<html><body>not xml")) == []
    assert list(parse_sitemap(b"")) == []
    assert list(parse_feed(b"\x1f\x8b garbage")) == []


def test_feeds() -> None:
    rss = list(parse_feed(RSS))
    assert [e.url for e in rss] == ["http://h/2024/06/18/a/", "http://h/2024/06/17/b/"]
    assert rss[0].lastmod == datetime(2024, 6, 18, 8, tzinfo=UTC)
    assert [e.url for e in parse_feed(ATOM)] == ["http://h/a/"]


def test_feed_links_skip_comment_feeds() -> None:
    page = Selector(
        text='<link rel="alternate" type="application/rss+xml" href="/feed/">'
        '<link rel="alternate" type="application/rss+xml" href="/comments/feed/">'
    )
    assert feed_links(page) == ["/feed/"]


def page(head: str = "", body: str = "", body_class: str = "") -> Selector:
    return Selector(
        text=f"<html><head>{head}</head><body class='{body_class}'>{body}</body></html>"
    )


LONG = "<p>" + "word " * 40 + "</p>"


def test_page_kind() -> None:
    jsonld = '<script type="application/ld+json">{"@graph":[{"@type":"NewsArticle"}]}</script>'
    assert page_kind(page(jsonld), "http://h/x") == "article"
    assert page_kind(page('<meta property="og:type" content="article">'), "http://h/x") == "article"
    assert page_kind(page(body_class="archive category"), "http://h/2024/01/01/x/") == "listing"
    assert page_kind(page(body_class="single postid-12"), "http://h/x") == "article"
    shaped = "<h1>Headline</h1>" + LONG * 3
    assert page_kind(page(body=shaped), "http://h/2024/06/18/slug/") == "article"
    assert page_kind(page(body=shaped), "http://h/category/world/") == "listing"
    assert (
        page_kind(page('<script type="application/ld+json">{broken</script>'), "http://h/")
        == "listing"
    )
