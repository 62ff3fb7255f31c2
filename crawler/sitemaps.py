"""Sitemaps as WordPress hubs serve them, read with Scrapy's own sitemap parser.

One parser reads every dialect newshub meets: Yoast SEO and Rank Math (`sitemap_index.xml`,
`post-sitemap.xml` / `post-sitemap1.xml`, `<image:image>` entries), All in One SEO (CDATA values,
`xhtml:link` hreflang alternates), WordPress core (`wp-sitemap.xml`), Google News sitemaps,
gzip-compressed files and indexes of indexes; XSL stylesheet instructions and comments are
skipped. `scrapy.utils.sitemap.Sitemap` reads only the direct children of a `<url>` or
`<sitemap>`, so an `<image:loc>` or `<video:player_loc>` never stands in for the entry's `<loc>`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

_MAX_XML = 50 * 1024 * 1024
_NEWS_HINTS = ("publication_date", "title", "keywords")

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Entry:
    """A URL found in a sitemap or feed, with what the site said about it.

    `lastmod` is the parsed date (or the Google News publication date when there is no
    `<lastmod>`); `lastmod_raw` the `<lastmod>` text exactly as the site wrote it, so that any
    difference from the last seen value counts as a change, whatever the site's clock says.
    """

    url: str
    lastmod: datetime | None = None
    is_sitemap: bool = False
    lastmod_raw: str | None = None
    # hreflang alternates (`<xhtml:link rel="alternate">`) of the entry.
    alternates: tuple[str, ...] = ()
    # Google News hints: news:title, news:keywords, news:publication_date.
    news: dict[str, str] = dataclasses.field(default_factory=dict)


class _Sitemap(Sitemap):
    """Scrapy's parser, also keeping the Google News fields Scrapy's flattens away.

    `_process_sitemap_element` clears each child it reads; the `<news:news>` block is read first.
    """

    __slots__ = ()

    def _process_sitemap_element(self, elem: etree._Element) -> dict[str, Any] | None:
        news = {}
        for child in elem:
            if self._get_tag_name(child) == "news":
                for field in child:
                    name = self._get_tag_name(field)
                    if name in _NEWS_HINTS and field.text and field.text.strip():
                        news[name] = field.text.strip()
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry["news"] = news
        return entry


def maybe_gunzip(body: bytes) -> bytes:
    """Sitemaps are often served as .xml.gz files; decompress those (bounded).

    Nothing (b"") for a body that is not valid gzip or that inflates past the sitemap
    protocol's 50 MiB: a gzip bomb is skipped whole, as Scrapy's SitemapSpider does."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return gunzip(body, max_size=_MAX_XML)
    except (OSError, EOFError, struct.error, zlib.error):  # what a broken gzip stream raises
        return b""
    except ValueError as exc:  # scrapy's size-cap error is a ValueError
        logger.warning("sitemap skipped: %s", exc)
        return b""


def parse_sitemap(body: bytes) -> Iterator[Entry]:
    """Entries of a sitemap index, URL set or Google News sitemap; nothing on broken XML."""
    xml = maybe_gunzip(body)[:_MAX_XML].lstrip()  # some plugins print a blank line first
    if not xml:
        return
    try:
        sitemap = _Sitemap(xml)
    except (etree.XMLSyntaxError, StopIteration):  # not XML at all
        return
    if sitemap.type not in ("urlset", "sitemapindex"):
        return
    is_index = sitemap.type == "sitemapindex"
    try:
        for fields in sitemap:
            loc = fields.get("loc")
            if not loc:
                continue
            raw = fields.get("lastmod") or None
            news = fields.get("news") or {}
            yield Entry(
                loc,
                parse_w3c_date(raw or news.get("publication_date")),
                is_sitemap=is_index,
                lastmod_raw=raw,
                alternates=tuple(fields.get("alternate", ())),
                news=news,
            )
    except etree.XMLSyntaxError as exc:  # a truncated file: what came before it counts
        logger.warning("sitemap cut short: %s", exc)


def parse_w3c_date(value: str | None) -> datetime | None:
    """Sitemap/Atom dates (W3C datetime, 'Z' allowed); None when absent or malformed."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        text += "T00:00:00+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
