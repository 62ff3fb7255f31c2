"""URL hygiene: one URL per article, and never a link that only makes noise or harm.

News hubs link the same article with tracking parameters, share buttons and comment-reply
anchors; fetching those wastes the site's capacity and stores duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.linkextractors import IGNORED_EXTENSIONS

DEFAULT_TRACKING_PARAMS = frozenset(
    {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id"}
    | {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "igshid"}
)

# Query keys that mark share buttons, comment replies, searches and other non-pages.
DENIED_QUERY_KEYS = frozenset(
    {"share", "replytocom", "s", "like_comment", "action", "redirect_to", "print", "unapproved"}
)
# Path pieces of login, admin, API and comment-feed URLs.
DENIED_PATH = re.compile(
    r"/(wp-login\.php|wp-admin/|xmlrpc\.php|wp-json/|wp-comments-post\.php|cdn-cgi/)"
    r"|/(comments/)?feed/?$|/trackback/?$|/embed/?$|/amp/?$",
    re.IGNORECASE,
)
_IGNORED_SUFFIXES = tuple(f".{ext}" for ext in IGNORED_EXTENSIONS)

_ARTICLE_PATH = re.compile(
    r"/(19|20)\d\d/[01]?\d/([0-3]?\d/)?[^/]+/?$"  # WordPress dated permalinks
    r"|/\d{4,}/[^/]+/?$|/[^/]+-\d{4,}/?$"  # numeric ids with a slug
    r"|/[^/]+\.html?$"  # static-looking article files
    r"|/[a-z0-9]+(?:-[a-z0-9%]+){3,}/?$",  # long hyphenated slugs
    re.IGNORECASE,
)
_LISTING_PATH = re.compile(
    r"/(category|tag|author|topics?|section|news-category)/|/page/\d+/?$|^/?$", re.IGNORECASE
)
_PAGE_NUMBER = re.compile(r"/page/(\d+)/?$|[?&](?:paged|page)=(\d+)")


def clean_url(url: str, tracking_params: Iterable[str] = DEFAULT_TRACKING_PARAMS) -> str:
    """Drop the fragment and tracking parameters, lowercase scheme and host, drop default ports."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    tracking = {p.lower() for p in tracking_params}
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in tracking and not key.lower().startswith("utm_")
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def is_denied(url: str) -> bool:
    """Share, login, comment, search, feed-of-comments and binary-file URLs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return True
    if parts.fragment.lower() in ("respond", "comments", "reply"):
        return True
    keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if keys & DENIED_QUERY_KEYS:
        return True
    path = parts.path.lower()
    return bool(DENIED_PATH.search(path)) or path.endswith(_IGNORED_SUFFIXES)


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """True when the URL's host is one of the domains or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))


def looks_like_article(url: str) -> bool:
    """A guess from the URL alone, used to fetch likely articles first."""
    parts = urlsplit(url)
    if re.search(r"(^|&)p=\d+", parts.query):
        return True
    return not _LISTING_PATH.search(parts.path) and bool(_ARTICLE_PATH.search(parts.path))


def looks_like_listing(url: str) -> bool:
    """Home, category, tag, author and paginated listing URLs."""
    return bool(_LISTING_PATH.search(urlsplit(url).path))


def page_number(url: str) -> int:
    """The pagination number of a listing URL (1 when it has none)."""
    match = _PAGE_NUMBER.search(url)
    if not match:
        return 1
    return int(match.group(1) or match.group(2))
