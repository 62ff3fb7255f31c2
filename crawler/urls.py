"""URL hygiene: one URL per article, and never a link that only makes noise or harm.

News hubs link the same article with tracking parameters, share buttons and comment-reply
anchors; fetching those wastes the site's capacity and stores duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import url_query_cleaner

# Query parameters that only track where a click came from (utm_*, click ids, share refs).
TRACKING_PARAM = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|gclsrc|dclid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid|ref|ref_src"
    r"|ref_url|referrer|amp|_ga|_gl|mkt_tok|spm|cmpid|ncid|sr_share|s_cid|wt_mc|oly_\w+"
    r"|vero_\w+|_hs\w+|hsctatracking|__twitter_impression|relatedposts_\w+)$",
    re.IGNORECASE,
)
# Links that are actions, not pages: sharing, login, reply, print, feeds, admin and APIs.
# Matched against the lower-cased URL: with re.IGNORECASE it took twice as long (11 µs a URL).
ACTION_LINK = re.compile(
    r"(?:facebook\.com/(?:sharer|share|dialog)|twitter\.com/(?:intent|share)|x\.com/intent"
    r"|t\.me/share|telegram\.me/share|wa\.me/|api\.whatsapp\.com|whatsapp\.com/send"
    r"|linkedin\.com/(?:share|cws/share|sharearticle)|pinterest\.com/pin/create"
    r"|reddit\.com/submit|tumblr\.com/(?:share|widgets)|vk\.com/share|getpocket\.com/save"
    r"|mail\.google\.com|addtoany\.com|sharethis\.com|/wp-login\.php|/wp-admin/|/xmlrpc\.php"
    r"|/wp-comments-post\.php|/cdn-cgi/|[?&](?:replytocom|share|print|s|like_comment|unapproved"
    r"|redirect_to)=|[?&]action=|/print/?$|/feed/?$|/comments/feed|/trackback/?$|/embed/?$"
    r"|/amp/?$|/wp-json/|#respond|#comments?\b|#reply\b|/(?:login|signin|sign-in|register)(?:/|$))",
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Scrapy's IGNORED_EXTENSIONS (scrapy.linkextractors), kept equal to it by tests/test_urls.py:
# importing Scrapy for this list cost every extraction worker process 57 MB and 0.26 s of CPU.
IGNORED_EXTENSIONS = (
    "7z", "7zip", "bz2", "rar", "tar", "tar.gz", "xz", "zip", "mng", "pct", "bmp", "gif",
    "jpg", "jpeg", "png", "pst", "psp", "tif", "tiff", "ai", "drw", "dxf", "eps", "ps", "svg",
    "cdr", "ico", "webp", "mp3", "wma", "ogg", "wav", "ra", "aac", "mid", "au", "aiff", "3gp",
    "asf", "asx", "avi", "mov", "mp4", "mpg", "qt", "rm", "swf", "wmv", "m4a", "m4v", "flv",
    "webm", "xls", "xlsm", "xlsx", "xltm", "xltx", "potm", "potx", "ppt", "pptm", "pptx",
    "pps", "doc", "docb", "docm", "docx", "dotm", "dotx", "odt", "ods", "odg", "odp", "css",
    "pdf", "exe", "bin", "rss", "dmg", "iso", "apk", "jar", "sh", "rb", "js", "hta", "bat",
    "cpl", "msi", "msp", "py",
)  # fmt: skip
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


def clean_url(url: str, extra_tracking: Iterable[str] = ()) -> str:
    """Drop the fragment and tracking parameters; lowercase scheme and host, no default port.

    Other query arguments keep their order and spelling: w3lib's canonicalize_url would sort
    and re-encode them, changing the form of every URL already stored in an archive."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # an unparseable URL is kept as is; it will fail to fetch on its own
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = f"{parts.username}@{host}" if parts.username else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    cleaned = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    extra = {name.lower() for name in extra_tracking}
    tracking = [key for key in _query_keys(parts.query) if _is_tracking(unquote_plus(key), extra)]
    if not tracking:
        return cleaned
    return url_query_cleaner(cleaned, tracking, remove=True, unique=False)


def _query_keys(query: str) -> set[str]:
    """The parameter names of a query string, as spelled in it."""
    return {pair.partition("=")[0] for pair in query.split("&") if pair}


def _is_tracking(name: str, extra: set[str]) -> bool:
    return bool(TRACKING_PARAM.match(name)) or name.lower() in extra


def is_action(url: str) -> bool:
    """Share, login, reply, print, feed, admin and API links."""
    return ACTION_LINK.search(url.lower()) is not None


def is_denied(url: str) -> bool:
    """What the crawler never fetches: actions, other schemes and binary files."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    if parts.scheme not in ("http", "https") or is_action(url):
        return True
    return parts.path.lower().endswith(_IGNORED_SUFFIXES)


def followable(url: str, extra_tracking: Iterable[str] = ()) -> str | None:
    """The link as the crawler would request it (clean_url), or None for one never fetched."""
    return None if is_denied(url) else clean_url(url, extra_tracking)


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """True when the URL's host is one of the domains or a subdomain of one.

    Ours, not scrapy.utils.url.url_is_from_any_domain: that one compares the whole netloc, so
    any URL with a port (127.0.0.1:8080) would be on none of the domains.
    """
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
