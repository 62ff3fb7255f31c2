"""What identifies an article beyond its URL: the site's own post id and its language editions.

A WordPress post keeps its id (`?p=ID`) when its slug, date path or category changes. The id
is read, most trusted first, from the REST API listing that found the post
(`request.meta["newshub_post_id"]`), the `rel=shortlink` link or `Link` header WordPress
prints for every post, the `postid-N` body class of WordPress themes, or a JSON-LD `@id` that
carries `?p=ID`. Multilingual plugins (WPML, Polylang) link the editions of one post with
`<link rel="alternate" hreflang="xx">`; `x-default` names a fallback (often the home page),
not an edition, and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree
from parsel import Selector

# request.meta key the REST API discovery puts a post's id under.
POST_ID_META = "newshub_post_id"
_POSTID_CLASS = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
_LINK_HEADER = re.compile(r"<([^>]*)>\s*((?:;[^,;]*)*)")
_SHORTLINK_REL = re.compile(r"""\brel\s*=\s*["']?[^"',;]*\bshortlink\b""", re.IGNORECASE)
_JSONLD_ID = re.compile(r'"@id"\s*:\s*"([^"]*[?&](?:amp;)?p=\d+[^"]*)"')
_REL_ALTERNATE = "contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')"
# Compiled once and run on the selector's lxml tree (parsel compiles on every call).
_SHORTLINKS = etree.XPath(
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' shortlink ')]/@href",
    smart_strings=False,
)
_BODY_CLASS = etree.XPath("//body/@class", smart_strings=False)
_JSONLD = etree.XPath('//script[@type="application/ld+json"]/text()', smart_strings=False)
_API_ROOTS = etree.XPath('//link[@rel="https://api.w.org/"]/@href', smart_strings=False)
_EDITION_LINKS = etree.XPath(f"//link[@hreflang and @href and {_REL_ALTERNATE}]")


def query_post_id(url: str) -> str | None:
    """The `p` of a WordPress `?p=ID` URL, if it is one."""
    values = parse_qs(urlsplit(url.replace("&amp;", "&")).query).get("p")
    return values[0] if values and values[0].isdigit() else None


def post_id(
    selector: Selector, headers: Mapping[str, str] | None = None, rest_id: object = None
) -> tuple[str | None, str | None]:
    """The post's id and where it was read ('rest', 'shortlink', 'body class', 'json-ld').

    Post ids count per WordPress site: on a multisite network whose sites share a host
    (`/en/`, `/fa/`, as MultilingualPress sets up) the id is prefixed with the site's path,
    read from the REST API link WordPress prints on every page (`en:12`).
    """
    return scoped_post_id(page_post_id(selector, headers), site_path(selector, headers), rest_id)


def scoped_post_id(
    on_page: tuple[str | None, str | None], scope: str, rest_id: object = None
) -> tuple[str | None, str | None]:
    """The post's id: the REST API's when it gave one, else the page's; scoped by the site's
    path (site_path); (None, None) when there is none or it is too long to store."""
    found, how = (str(rest_id), "rest") if _is_id(rest_id) else on_page
    if found is None:
        return None, None
    scoped = f"{scope}:{found}" if scope else found
    return (scoped, how) if len(scoped) <= MAX_POST_ID else (None, None)


def _is_id(value: object) -> bool:
    return value is not None and str(value).isdigit()


# The width of `articles.post_id`.
MAX_POST_ID = 32


def page_post_id(
    selector: Selector, headers: Mapping[str, str] | None = None
) -> tuple[str | None, str | None]:
    """The post id the page itself prints, unscoped, and where it was read; or (None, None)."""
    root = selector.root
    for href in _SHORTLINKS(root):
        if found := query_post_id(href):
            return found, "shortlink"
    for href, rel in _links(headers):
        if _SHORTLINK_REL.search(rel) and (found := query_post_id(href)):
            return found, "shortlink"
    classes = next(iter(_BODY_CLASS(root)), "")
    if body_class := _POSTID_CLASS.search(classes):
        return body_class[1], "body class"
    for script in _JSONLD(root):
        for value in _JSONLD_ID.findall(script):
            if found := query_post_id(value):
                return found, "json-ld"
    return None, None


def site_path(selector: Selector, headers: Mapping[str, str] | None) -> str:
    """The WordPress site's path below the host ('' for a site at the root), from the
    `<link rel="https://api.w.org/">` WordPress prints (or its `Link` header)."""
    roots = _API_ROOTS(selector.root)
    roots += [href for href, rel in _links(headers) if "https://api.w.org/" in rel]
    for root in roots:
        path = urlsplit(root).path.strip("/")
        return path.removesuffix("wp-json").strip("/")
    return ""


def _links(headers: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """(URL, parameters) of each entry of the `Link` header."""
    return [(m[1], m[2]) for m in _LINK_HEADER.finditer(_header(headers, "link") or "")]


def editions(selector: Selector, page_url: str) -> dict[str, str]:
    """The page's language editions by hreflang code (lower case), absolute URLs."""
    found: dict[str, str] = {}
    for link in _EDITION_LINKS(selector.root):
        lang = (link.get("hreflang") or "").strip().lower()
        href = (link.get("href") or "").strip()
        if not lang or lang == "x-default" or not href:
            continue
        url = urljoin(page_url, href.replace("&amp;", "&"))
        if urlsplit(url).scheme in ("http", "https"):
            found.setdefault(lang, url)
    return found


def translation_group(url: str, alternates: Mapping[str, str]) -> str | None:
    """The key editions of one article share: the smallest URL of the set (itself included).

    Every edition prints the same alternates (WPML and Polylang print them all, the page's own
    included), so each computes the same key without knowing the others' rows.
    """
    urls = set(alternates.values()) | {url}
    return min(urls) if len(urls) > 1 else None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
