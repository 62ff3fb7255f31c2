"""Post ids and language editions read from real WordPress, WPML and Polylang markup."""

from __future__ import annotations

from parsel import Selector

from crawler.identity import editions, post_id, query_post_id, translation_group

# WordPress core, wp_shortlink_wp_head() and wp_shortlink_header() (GPL-2.0-or-later):
# `<link rel='shortlink' href='…/?p=ID' />` in the head, `Link: <…/?p=ID>; rel=shortlink`.
# body_class() adds `postid-ID` on single posts.
WORDPRESS_HEAD = """<!DOCTYPE html><html lang="fa-IR"><head>
<link rel="https://api.w.org/" href="https://hub.test/wp-json/" />
<link rel="alternate" type="application/json" href="https://hub.test/wp-json/wp/v2/posts/4312" />
<link rel='shortlink' href='https://hub.test/?p=4312' />
</head><body class="post-template-default single single-post postid-4312 single-format-standard">
</body></html>"""

# WPML, WPML_SEO_HeadLangs::head_langs() (sitepress-multilingual-cms, GPL-2.0-or-later):
# '<link rel="alternate" hreflang="' . esc_attr( $code ) . '" href="' . esc_url( $url ) . '" />'
WPML_HEAD = """<html lang="en-US"><head>
<link rel="alternate" hreflang="fa" href="https://hub.test/1405/09/11/khabar/" />
<link rel="alternate" hreflang="en" href="https://hub.test/en/2026/12/01/news/" />
<link rel="alternate" hreflang="ar" href="https://hub.test/ar/2026/12/01/akhbar/" />
<link rel="alternate" hreflang="x-default" href="https://hub.test/1405/09/11/khabar/" />
</head><body class="single postid-88"></body></html>"""

# Polylang, PLL_Frontend_Links / PLL_Frontend_Filters_Links::wp_head() (GPL-2.0-or-later):
# printf( '<link rel="alternate" href="%s" hreflang="%s" />' . "\n", esc_url( $url ), … )
# plus an x-default to home_url( '/' ) with the options hide_default and force_lang < 3.
POLYLANG_HEAD = """<html lang="de-DE"><head>
<link rel="alternate" href="https://hub.test/de/nachricht/" hreflang="de" />
<link rel="alternate" href="https://hub.test/fr/nouvelle/" hreflang="fr" />
<link rel="alternate" href="https://hub.test/" hreflang="x-default" />
<link rel="alternate" type="application/rss+xml" href="https://hub.test/de/feed/" />
</head><body></body></html>"""


def test_post_id_from_the_shortlink_before_the_body_class() -> None:
    assert post_id(Selector(WORDPRESS_HEAD)) == ("4312", "shortlink")


def test_post_id_from_the_link_header_then_the_body_class() -> None:
    page = Selector("<html><body class='single postid-77'></body></html>")
    link = (
        '<https://hub.test/wp-json/>; rel="https://api.w.org/", '
        "<https://hub.test/?p=91>; rel=shortlink"
    )
    assert post_id(page, {"Link": link}) == ("91", "shortlink")
    assert post_id(page, {"Link": '<https://hub.test/wp-json/>; rel="https://api.w.org/"'}) == (
        "77",
        "body class",
    )


def test_the_rest_id_wins_and_json_ld_is_the_last_resort() -> None:
    assert post_id(Selector(WORDPRESS_HEAD), rest_id=4312) == ("4312", "rest")
    jsonld = (
        '<html><head><script type="application/ld+json">{"@graph": [{"@type": "Article",'
        ' "@id": "https://hub.test/?p=55#article"}]}</script></head><body></body></html>'
    )
    assert post_id(Selector(jsonld)) == ("55", "json-ld")
    # Yoast's @id is the permalink plus #article: it changes with the slug, so it is no id.
    yoast = jsonld.replace("?p=55", "2026/05/news/")
    assert post_id(Selector(yoast)) == (None, None)


def test_query_post_id() -> None:
    assert query_post_id("https://hub.test/?p=12") == "12"
    assert query_post_id("https://hub.test/?page_id=12") is None
    assert query_post_id("https://hub.test/?p=abc") is None


def test_wpml_editions_without_x_default() -> None:
    found = editions(Selector(WPML_HEAD), "https://hub.test/en/2026/12/01/news/")
    assert found == {
        "fa": "https://hub.test/1405/09/11/khabar/",
        "en": "https://hub.test/en/2026/12/01/news/",
        "ar": "https://hub.test/ar/2026/12/01/akhbar/",
    }


def test_polylang_editions_and_their_shared_group() -> None:
    german = editions(Selector(POLYLANG_HEAD), "https://hub.test/de/nachricht/")
    assert german == {"de": "https://hub.test/de/nachricht/", "fr": "https://hub.test/fr/nouvelle/"}
    group = translation_group("https://hub.test/de/nachricht/", german)
    assert group == translation_group("https://hub.test/fr/nouvelle/", german) is not None
    assert translation_group("https://hub.test/alone/", {}) is None


def test_post_ids_of_a_multisite_network_carry_the_site_path() -> None:
    # WordPress prints the REST API root of the site the page belongs to (rest_output_link_wp_head).
    page = WORDPRESS_HEAD.replace("https://hub.test/wp-json/", "https://hub.test/en/wp-json/")
    assert post_id(Selector(page)) == ("en:4312", "shortlink")
    plain = WORDPRESS_HEAD.replace("https://hub.test/wp-json/", "https://hub.test/?rest_route=/")
    assert post_id(Selector(plain)) == ("4312", "shortlink")
    header = {"Link": '<https://hub.test/fa/wp-json/>; rel="https://api.w.org/"'}
    assert post_id(Selector("<html><body class='postid-9'></body></html>"), header) == (
        "fa:9",
        "body class",
    )
