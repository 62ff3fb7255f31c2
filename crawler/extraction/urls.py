"""URL hygiene: absolute links, tracking parameters stripped, canonical only on the same site."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|gclsrc|dclid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid|ref|ref_src"
    r"|ref_url|referrer|amp|_ga|_gl|mkt_tok|spm|cmpid|ncid|sr_share|share|s_cid|wt_mc|oly_\w+"
    r"|vero_\w+|_hs\w+|hsctatracking|__twitter_impression|relatedposts_\w+)$",
    re.I,
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Links that are actions, not content: sharing, login, reply, print, feeds.
_ACTION = re.compile(
    r"(?:facebook\.com/(?:sharer|share|dialog)|twitter\.com/(?:intent|share)|x\.com/intent"
    r"|t\.me/share|telegram\.me/share|wa\.me/|api\.whatsapp\.com|whatsapp\.com/send"
    r"|linkedin\.com/(?:share|cws/share|sharearticle)|pinterest\.com/pin/create"
    r"|reddit\.com/submit|tumblr\.com/(?:share|widgets)|vk\.com/share|getpocket\.com/save"
    r"|plus\.google\.com/share|mail\.google\.com|addtoany\.com|sharethis\.com|/wp-login\.php"
    r"|/wp-admin/|/xmlrpc\.php|[?&]replytocom=|[?&]share=|[?&]print=|/print/?$|/feed/?$"
    r"|/comments/feed|/wp-json/|#respond|#comments?\b|[?&]action=(?:login|register)"
    r"|/(?:login|signin|sign-in|register)(?:/|$))",
    re.I,
)


def absolute(href: str | None, base: str) -> str | None:
    """An absolute http(s) URL for an href, or None for actions, fragments and junk."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    low = href[:12].lower()
    if low.startswith(("javascript:", "mailto:", "tel:", "data:", "sms:", "whatsapp:")):
        return None
    try:
        url = href if low.startswith(("http://", "https://")) else urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def clean(url: str) -> str:
    """Drop the fragment and tracking parameters; lower-case scheme and host, no default port."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _TRACKING.match(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


_MEDIA = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|ico|mp4|webm|mp3|m4a)$", re.I)


def is_media(url: str) -> bool:
    """Links straight to an image or a media file (lightbox links around photos)."""
    try:
        return bool(_MEDIA.search(urlsplit(url).path))
    except ValueError:
        return False


def is_action(url: str) -> bool:
    """Share, login, reply, print and feed links."""
    return bool(_ACTION.search(url))


@functools.cache
def _extractor():
    import tldextract

    # The bundled public-suffix snapshot only: no network, no cache directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def site_of(url: str) -> str:
    """The registered domain (eTLD+1) of a URL's host, or the bare host when it has none."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    if not host or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return host
    try:
        parts = _extractor()(host)
    except Exception:
        parts = None
    if parts is not None and parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return host.removeprefix("www.")


def same_site(a: str, b: str) -> bool:
    """True when both URLs are on the same registered domain."""
    site = site_of(a)
    return bool(site) and site == site_of(b)
