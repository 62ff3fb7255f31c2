"""The demo hub's WordPress REST API and its sitemap-only mode."""

from __future__ import annotations

import json

from crawler.demo.site import DemoHub
from crawler.sitemaps import parse_sitemap
from crawler.wp_rest import parse_posts, posts_url

BASE = "http://hub.test"


def get(hub: DemoHub, target: str):  # type: ignore[no-untyped-def]
    return hub.render(target, base_url=BASE, accept_gzip=False)


def test_rest_api_is_announced_and_lists_posts_by_modification() -> None:
    before = DemoHub(150, seed=3, rest_api="pretty")
    hub = before.mutated(edit_fraction=0.1, new_articles=0)
    home = get(hub, "/")
    assert home.header("Link") == f'<{BASE}/wp-json/>; rel="https://api.w.org/"'
    assert b'<link rel="https://api.w.org/" href="http://hub.test/wp-json/" />' in home.body
    first = get(hub, posts_url(f"{BASE}/wp-json/", 1))
    assert first.status == 200 and first.header("X-WP-TotalPages") == "2"
    assert first.header("X-WP-Total") == "150"
    assert 'rel="next"' in (first.header("Link") or "")
    assert b"https:\\/\\/" not in first.body and b"http:\\/\\/hub.test" in first.body
    posts = parse_posts(first.body) + parse_posts(get(hub, posts_url(f"{BASE}/wp-json/", 2)).body)
    assert len(posts) == 150
    modified = [p.modified_gmt for p in posts]
    assert modified == sorted(modified, reverse=True)
    edited = {a.id for a in hub.articles if a != before.article(a.id)}
    assert len(edited) == 15
    assert {int(p.id) for p in posts[: len(edited)]} == edited
    assert list(json.loads(first.body)[0]) == [
        "id",
        "date_gmt",
        "modified_gmt",
        "link",
        "categories",
        "tags",
    ]
    past = get(hub, posts_url(f"{BASE}/wp-json/", 3))
    assert past.status == 400 and b"rest_post_invalid_page_number" in past.body


def test_plain_permalinks_root() -> None:
    hub = DemoHub(20, seed=3, rest_api="plain")
    assert f"<{BASE}/?rest_route=/>" in (get(hub, "/").header("Link") or "")
    listing = get(hub, posts_url(f"{BASE}/?rest_route=/"))
    assert listing.status == 200 and len(parse_posts(listing.body)) == 20
    assert get(hub, "/wp-json/wp/v2/posts").status == 404  # no pretty permalinks
    assert get(DemoHub(20, seed=3), "/wp-json/wp/v2/posts").status == 404  # API off


def test_sitemap_only_hub() -> None:
    hub = DemoHub(150, seed=3, sitemap_only=True)
    home = get(hub, "/").body.decode()
    assert 'rel="next"' not in home
    assert get(hub, "/page/2/").status == 404
    assert get(hub, f"/category/{next(iter(hub.categories))}/").status == 404
    assert all(not a.related for a in hub.articles)
    sitemap = list(parse_sitemap(get(hub, "/post-sitemap.xml").body))
    assert {e.url for e in sitemap} == {BASE + a.path for a in hub.articles}
    assert all(e.lastmod_raw for e in sitemap)
    bare = DemoHub(10, seed=3, sitemap_lastmod="none")
    assert not any(e.lastmod_raw for e in parse_sitemap(get(bare, "/post-sitemap.xml").body))


def test_demo_sitemaps_parse_as_their_plugins_markup() -> None:
    hub = DemoHub(60, seed=3)
    news = list(parse_sitemap(get(hub, "/news-sitemap.xml").body))
    assert [e.url for e in news] == [BASE + a.path for a in hub.latest[:50]]
    assert news[0].news["title"] == hub.latest[0].title
    assert news[0].lastmod == hub.latest[0].published_at
    index = list(parse_sitemap(get(hub, "/sitemap_index.xml").body))
    assert all(e.is_sitemap for e in index) and len(index) == 3
    categories = list(parse_sitemap(get(hub, "/category-sitemap.xml").body))
    assert len(categories) == len(hub.categories)
