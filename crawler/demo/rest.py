"""The demo hub's WordPress REST API: `/wp-json/` and the posts listing, in WordPress's shape.

What WordPress 6.x sends (wp-includes/rest-api/class-wp-rest-server.php and
endpoints/class-wp-rest-posts-controller.php, GPL-2.0-or-later): JSON with escaped slashes
(`wp_json_encode`), `X-WP-Total` / `X-WP-TotalPages`, a `Link` header with `rel="next"` /
`rel="prev"` pages, `_fields` trimming each post to the fields asked for (in schema order),
`per_page` capped at 100 (a 400 `rest_invalid_param` above), a 400
`rest_post_invalid_page_number` past the last page. Dates are the site's `*_gmt` values without
a zone (`2024-06-18T09:12:44`). With `rest_api="plain"` the root is `/?rest_route=/`, as on a
WordPress without pretty permalinks.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from crawler.demo.web import DemoResponse

if TYPE_CHECKING:
    from crawler.demo.site import DemoArticle, DemoHub

API_REL = "https://api.w.org/"
SCHEMA_ORDER = (
    "id",
    "date",
    "date_gmt",
    "modified",
    "modified_gmt",
    "slug",
    "status",
    "type",
    "link",
    "categories",
    "tags",
)
_HEADERS = [
    ("Content-Type", "application/json; charset=UTF-8"),
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
    ),
]


def root_url(hub: DemoHub, base: str) -> str:
    """The API root the hub announces."""
    return f"{base}/?rest_route=/" if hub.rest_api == "plain" else f"{base}/wp-json/"


def announce(hub: DemoHub, base: str) -> tuple[str, str]:
    """The `<link>` tag and the `Link` header every front-end page carries."""
    root = root_url(hub, base)
    return f'<link rel="{API_REL}" href="{root}" />\n', f'<{root}>; rel="{API_REL}"'


def announcing(hub: DemoHub, build: Callable[[str], DemoResponse]) -> Callable[[str], DemoResponse]:
    """`build`, with the `Link` header WordPress sends on every HTML page."""

    def announced(base: str) -> DemoResponse:
        resp = build(base)
        if not (resp.header("Content-Type") or "").startswith("text/html"):
            return resp
        return dataclasses.replace(resp, headers=[*resp.headers, ("Link", announce(hub, base)[1])])

    return announced


def render(hub: DemoHub, base: str, route: str, q: dict[str, list[str]]) -> DemoResponse:
    """The response for a REST route (`/`, `/wp/v2/posts`) with query `q`."""
    route = "/" + route.strip("/")
    if route == "/":
        index = {"name": hub.site_name, "url": base, "home": base, "namespaces": ["wp/v2"]}
        return _json(200, index, [("Link", f'<{root_url(hub, base)}>; rel="{API_REL}"')])
    if route != "/wp/v2/posts":
        return _error(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )
    return _posts(hub, base, q)


def _posts(hub: DemoHub, base: str, q: dict[str, list[str]]) -> DemoResponse:
    def arg(name: str, default: str) -> str:
        return q.get(name, [default])[0]

    try:
        per_page, page = int(arg("per_page", "10")), int(arg("page", "1"))
    except ValueError:
        return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page, page")
    if not 1 <= per_page <= 100 or page < 1:
        return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
    key = {"modified": _modified, "date": _published}.get(arg("orderby", "date"), _published)
    posts = sorted(
        hub.articles, key=lambda a: (key(a), a.id), reverse=arg("order", "desc") == "desc"
    )
    total = len(posts)
    pages = -(-total // per_page)
    if page > max(pages, 1):
        return _error(
            400,
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
        )
    fields = [f for f in arg("_fields", "").split(",") if f] or list(SCHEMA_ORDER)
    chunk = posts[(page - 1) * per_page : page * per_page]
    body = [_post(hub, base, art, fields) for art in chunk]
    headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
    asked = [(k, v[0]) for k, v in q.items() if k not in ("page", "rest_route")]
    prefix = (
        f"{base}/?rest_route=/wp/v2/posts&"
        if hub.rest_api == "plain"
        else f"{base}/wp-json/wp/v2/posts?"
    )
    links = []
    if page > 1:
        links.append(f'<{prefix}{urlencode([*asked, ("page", str(page - 1))])}>; rel="prev"')
    if page < pages:
        links.append(f'<{prefix}{urlencode([*asked, ("page", str(page + 1))])}>; rel="next"')
    if links:
        headers.append(("Link", ", ".join(links)))
    headers.append(("Allow", "GET"))
    return _json(200, body, headers)


def _post(hub: DemoHub, base: str, art: DemoArticle, fields: list[str]) -> dict[str, object]:
    category_ids = {slug: i + 2 for i, slug in enumerate(hub.categories)}  # 1: Uncategorized
    tag_ids = {slug: i + 100 for i, slug in enumerate(hub.tags)}
    modified = art.modified_at or art.published_at
    values: dict[str, object] = {
        "id": art.id,
        "date_gmt": _gmt(art.published_at),
        "modified_gmt": _gmt(modified),
        "slug": art.slug,
        "status": "publish",
        "type": "post",
        "link": base + art.path,
        "categories": [category_ids[art.category_slug]],
        "tags": [tag_ids[slug] for slug in art.tag_slugs],
    }
    return {name: values[name] for name in SCHEMA_ORDER if name in fields and name in values}


def _modified(art: DemoArticle) -> datetime:
    return art.modified_at or art.published_at


def _published(art: DemoArticle) -> datetime:
    return art.published_at


def _gmt(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _error(status: int, code: str, message: str) -> DemoResponse:
    return _json(status, {"code": code, "message": message, "data": {"status": status}}, [])


def _json(status: int, data: object, headers: list[tuple[str, str]]) -> DemoResponse:
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")
    return DemoResponse(status, [*_HEADERS, *headers], text.encode())
