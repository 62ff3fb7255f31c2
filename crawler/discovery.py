"""How news hubs expose their articles: robots.txt, sitemaps, feeds and page structure
(crawler.page_kinds, re-exported here).

Pure functions over response bodies, so each rule is testable without a crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from lxml import etree
from protego import Protego

from crawler.page_kinds import feed_links, page_kind
from crawler.sitemaps import Entry, maybe_gunzip, parse_sitemap, parse_w3c_date

_MAX_XML = 50 * 1024 * 1024
__all__ = [  # and what is below
    "Entry",
    "feed_links",
    "maybe_gunzip",
    "page_kind",
    "parse_sitemap",
    "parse_w3c_date",
]

logger = logging.getLogger(__name__)


def robots_sitemaps(body: bytes) -> list[str]:
    """The `Sitemap:` lines of a robots.txt."""
    text = body.decode("utf-8", errors="replace")
    return list(Protego.parse(text).sitemaps)


def parse_feed(body: bytes) -> Iterator[Entry]:
    """Item links of an RSS 2.0, RSS 1.0 or Atom feed."""
    root = _xml_root(body)
    if root is None:
        return
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        name = etree.QName(node).localname
        if name not in ("item", "entry"):
            continue
        link, stamp = None, None
        for child in node:
            if not isinstance(child.tag, str):
                continue
            child_name = etree.QName(child).localname
            if child_name == "link":
                href = child.get("href")
                if href and child.get("rel", "alternate") == "alternate":
                    link = href
                elif not href and child.text:
                    link = child.text.strip()
            elif child_name in ("updated", "pubDate", "published", "date") and child.text:
                stamp = stamp or child.text.strip()
        if link:
            yield Entry(link, parse_w3c_date(stamp) or parse_rfc822_date(stamp))


def _xml_root(body: bytes) -> etree._Element | None:
    if not body.strip():
        return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body[:_MAX_XML].lstrip(), parser=parser)
    except etree.XMLSyntaxError:
        return None


def parse_rfc822_date(value: str | None) -> datetime | None:
    """RSS pubDate values."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
