"""The WordPress REST API as a discovery source: where a hub announces it, and its post listing.

A WordPress hub announces its API on every page (`<link rel="https://api.w.org/" href=...>`)
and in a `Link` header; with pretty permalinks off the root is `/?rest_route=/`. The posts
listing, newest change first, gives each post's id, permalink and exact `modified_gmt`: the
best change signal a hub offers. Pure functions over responses, testable without a crawl.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

API_REL = "https://api.w.org/"
# Only the fields discovery needs (`_fields` trims the response to them).
FIELDS = "id,link,date_gmt,modified_gmt,categories,tags"
PER_PAGE = 100
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?https://api\.w\.org/"?', re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Post:
    """One entry of `/wp/v2/posts`: the values exactly as the site gave them."""

    id: str
    link: str
    date_gmt: str | None
    modified_gmt: str | None
    categories: tuple[int, ...] = ()
    tags: tuple[int, ...] = ()


def api_root(selector: Selector, link_headers: Iterable[bytes], base_url: str) -> str | None:
    """The API root a page announces, from its `Link` header or its `<link rel>`; or None."""
    for header in link_headers:
        match = _LINK.search(header.decode("latin-1"))
        if match and match[1]:
            return urljoin(base_url, match[1])
    href = selector.xpath(f'//link[@rel="{API_REL}"]/@href').get()
    return urljoin(base_url, href.strip()) if href and href.strip() else None


def posts_url(root: str, page: int = 1) -> str:
    """The posts listing under an API root, `page` of it, ordered by modification, newest first.

    `https://hub/wp-json/` gives `https://hub/wp-json/wp/v2/posts?...`; a plain-permalink root
    `https://hub/?rest_route=/` gives `https://hub/?rest_route=/wp/v2/posts&...`.
    """
    params = [
        ("per_page", str(PER_PAGE)),
        ("orderby", "modified"),
        ("order", "desc"),
        ("_fields", FIELDS),
    ]
    if page > 1:
        params.append(("page", str(page)))
    parts = urlsplit(root)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "rest_route" for key, _ in query):
        route = [(k, v) for k, v in query if k != "rest_route"]
        route.insert(0, ("rest_route", "/wp/v2/posts"))
        return urlunsplit(parts._replace(query=urlencode(route + params, safe="/,")))
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit(parts._replace(path=path + "wp/v2/posts", query=urlencode(params, safe="/,")))


def parse_posts(body: bytes) -> list[Post]:
    """The posts of one listing page; [] for anything that is not a list of posts."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(data, list):
        return []
    posts = []
    for item in data:
        if not isinstance(item, dict):
            continue
        post_id, link = item.get("id"), item.get("link")
        if not isinstance(post_id, int) or not isinstance(link, str) or not link:
            continue
        posts.append(
            Post(
                id=str(post_id),
                link=link,
                date_gmt=_text(item.get("date_gmt")),
                modified_gmt=_text(item.get("modified_gmt")),
                categories=_ids(item.get("categories")),
                tags=_ids(item.get("tags")),
            )
        )
    return posts


def total_pages(header: bytes | None) -> int:
    """`X-WP-TotalPages` as a number (1 when absent or malformed)."""
    try:
        return max(int((header or b"1").strip()), 1)
    except ValueError:
        return 1


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ids(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, int))
