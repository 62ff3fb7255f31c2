"""Links as the extractor needs them: absolute, canonical, media or not, same site or not.

Cleaning and action links are `crawler.urls`'s job, shared with the spider.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.urls import clean_url, is_action

if TYPE_CHECKING:
    from .structured import Structured


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


_MEDIA = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|ico|mp4|webm|mp3|m4a)$", re.I)


def is_media(url: str) -> bool:
    """Links straight to an image or a media file (lightbox links around photos)."""
    try:
        return bool(_MEDIA.search(urlsplit(url).path))
    except ValueError:
        return False


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
    parts = _extractor()(host)  # tldextract takes any string: a bad host has no suffix
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return host.removeprefix("www.")


def same_site(a: str, b: str) -> bool:
    """True when both URLs are on the same registered domain."""
    site = site_of(a)
    return bool(site) and site == site_of(b)


def base_url(root: etree._Element, url: str) -> str:
    href = next((b.get("href") for b in root.iter("base") if b.get("href")), None)
    return (absolute(href, url) if href else None) or url


def canonical_url(root: etree._Element, data: Structured, url: str, sources: dict[str, str]) -> str:
    """rel=canonical, else og:url, else the page URL; only on the page's own site."""
    page = clean_url(url) if url else url
    canonical = next(
        (
            link.get("href") or ""
            for link in root.iter("link")
            if "canonical" in (link.get("rel") or "").lower().split()
        ),
        "",
    )
    for raw, source in (
        (canonical, "canonical"),
        (data.first_meta("og:url"), "og:url"),
    ):
        target = absolute(str(raw), url) if raw else None
        if target and (not url or same_site(target, url)):
            sources["url"] = source
            return clean_url(target)
    sources["url"] = "page"
    return page


def outlinks(found: list[str], page: str) -> list[str]:
    out: dict[str, None] = {}
    for url in found:
        if is_action(url) or is_media(url):
            continue
        cleaned = clean_url(url)
        if cleaned != page:
            out.setdefault(cleaned)
    return list(out)
