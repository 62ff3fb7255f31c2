"""The WordPress REST API as a discovery source: announcement, listing URL, posts, pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from parsel import Selector

from crawler.wp_rest import FIELDS, api_root, parse_posts, posts_url, total_pages

# What WordPress 6.x sends for /wp-json/wp/v2/posts?_fields=id,link,date_gmt,modified_gmt,
# categories,tags (wp_json_encode escapes slashes; fields in the controller's schema order).
WP_POSTS = (
    b'[{"id":412,"date_gmt":"2024-06-18T09:12:44","modified_gmt":"2024-06-18T10:02:13",'
    b'"link":"https:\\/\\/hub.test\\/2024\\/06\\/18\\/port-reopens\\/","categories":[3],'
    b'"tags":[17,21]},{"id":409,"date_gmt":"2024-06-17T21:03:10","modified_gmt":'
    b'"2024-06-17T21:03:10","link":"https:\\/\\/hub.test\\/?p=409","categories":[1],"tags":[]}]'
)


def test_api_root_from_the_link_header_or_the_page() -> None:
    page = Selector(text='<head><link rel="https://api.w.org/" href="https://hub.test/wp-json/" />')
    assert api_root(page, [], "https://hub.test/") == "https://hub.test/wp-json/"
    header = b'<https://hub.test/index.php?rest_route=/>; rel="https://api.w.org/"'
    assert api_root(Selector(text="<p>x</p>"), [header], "https://hub.test/") == (
        "https://hub.test/index.php?rest_route=/"
    )
    # Other Link headers (shortlink, alternate JSON) are not the API root.
    shortlink = b"<https://hub.test/?p=12>; rel=shortlink"
    assert api_root(Selector(text="<p>x</p>"), [shortlink], "https://hub.test/") is None


def test_posts_url_pretty_and_plain_permalinks() -> None:
    pretty = urlsplit(posts_url("https://hub.test/wp-json/", 2))
    assert pretty.path == "/wp-json/wp/v2/posts"
    assert parse_qs(pretty.query) == {
        "per_page": ["100"],
        "orderby": ["modified"],
        "order": ["desc"],
        "_fields": [FIELDS],
        "page": ["2"],
    }
    plain = urlsplit(posts_url("https://hub.test/index.php?rest_route=/"))
    assert plain.path == "/index.php"
    query = parse_qs(plain.query)
    assert query["rest_route"] == ["/wp/v2/posts"] and "page" not in query
    assert query["orderby"] == ["modified"]


def test_parse_posts_keeps_values_as_sent() -> None:
    first, second = parse_posts(WP_POSTS)
    assert first.id == "412" and first.link == "https://hub.test/2024/06/18/port-reopens/"
    assert first.modified_gmt == "2024-06-18T10:02:13" and first.tags == (17, 21)
    assert second.link == "https://hub.test/?p=409" and second.categories == (1,)


def test_parse_posts_ignores_what_is_not_a_post_list() -> None:
    error = b'{"code":"rest_no_route","message":"No route","data":{"status":404}}'
    assert parse_posts(error) == []
    assert parse_posts(b"<html>login</html>") == []
    assert parse_posts(b'[{"id":"x","link":"http://h/"},{"id":3},7]') == []


def test_total_pages() -> None:
    assert total_pages(b"7") == 7
    assert total_pages(None) == 1
    assert total_pages(b"lots") == 1
    assert total_pages(b"0") == 1
