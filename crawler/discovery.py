"""How news hubs expose their articles: robots.txt, sitemaps, feeds and page structure.

Pure functions over response bodies, so each rule is testable without a crawl.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime

from lxml import etree
from parsel import Selector
from protego import Protego
from scrapy.utils.gz import gunzip

from crawler.extraction import wordpress
from crawler.urls import looks_like_article, looks_like_listing

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "socialmediaposting",
        "liveblogposting",
    }
)
LISTING_BODY_CLASSES = frozenset({"home", "blog", "archive", "category", "tag", "author", "search"})
ARTICLE_BODY_CLASSES = frozenset({"single-post", "single-format-standard", "postid"})
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
_MAX_XML = 50 * 1024 * 1024

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Entry:
    """A URL found in a sitemap or feed, with the dates the site gave for it."""

    url: str
    lastmod: datetime | None = None
    is_sitemap: bool = False


def robots_sitemaps(body: bytes) -> list[str]:
    """The `Sitemap:` lines of a robots.txt."""
    text = body.decode("utf-8", errors="replace")
    return list(Protego.parse(text).sitemaps)


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
    root = _xml_root(maybe_gunzip(body))
    if root is None:
        return
    kind = etree.QName(root).localname
    for node in root:
        if not isinstance(node.tag, str):
            continue
        # Only the entry's own children count: a Yoast <image:image> holds an <image:loc> too.
        fields = _children_text(node)
        loc = fields.get("loc")
        if not loc:
            continue
        stamp = fields.get("lastmod") or _news_date(node)
        yield Entry(loc, parse_w3c_date(stamp), is_sitemap=kind == "sitemapindex")


def _children_text(node: etree._Element) -> dict[str, str]:
    """Local name -> stripped text of the direct children of a sitemap element."""
    return {
        etree.QName(child).localname: (child.text or "").strip()
        for child in node
        if isinstance(child.tag, str)
    }


def _news_date(node: etree._Element) -> str | None:
    """The Google News <news:news><news:publication_date> of a <url>, a date hint."""
    for child in node:
        if isinstance(child.tag, str) and etree.QName(child).localname == "news":
            return _children_text(child).get("publication_date")
    return None


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


def feed_links(selector: Selector) -> list[str]:
    """Feeds a page announces with `<link rel="alternate">` (comment feeds left out)."""
    links = []
    for node in selector.css('link[rel="alternate"]'):
        if (node.attrib.get("type") or "").lower() in FEED_TYPES:
            href = node.attrib.get("href", "")
            if href and "comments" not in href:
                links.append(href)
    return links


def page_kind(selector: Selector, url: str) -> str:
    """'article' or 'listing', from structured data, WordPress body classes, then shape."""
    body_classes = set((selector.xpath("//body/@class").get() or "").split())
    if wordpress.not_an_article(body_classes):  # pages and attachments, even if og:type says
        return "listing"
    for blob in selector.xpath('//script[@type="application/ld+json"]/text()').getall():
        types = _jsonld_types(blob)
        if types & ARTICLE_TYPES:
            return "article"
    og_type = (selector.xpath('//meta[@property="og:type"]/@content').get() or "").lower()
    if og_type == "article":
        return "article"
    if body_classes & LISTING_BODY_CLASSES:
        return "listing"
    if body_classes & ARTICLE_BODY_CLASSES or any(c.startswith("postid-") for c in body_classes):
        return "article"
    if looks_like_listing(url):
        return "listing"
    headlines = len(selector.xpath("//h1"))
    paragraphs = selector.xpath("//p[string-length(normalize-space()) > 80]")
    if (
        headlines == 1
        and len(paragraphs) >= 3
        and (looks_like_article(url) or len(paragraphs) >= 6)
    ):
        return "article"
    return "listing"


def _jsonld_types(blob: str) -> set[str]:
    try:
        data = json.loads(blob)
    except ValueError:
        return set()
    found: set[str] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            kind = node.get("@type")
            for value in kind if isinstance(kind, list) else [kind]:
                if isinstance(value, str):
                    found.add(value.lower())
            stack.extend(node.get("@graph", []) if isinstance(node.get("@graph"), list) else [])
    return found


def _xml_root(body: bytes) -> etree._Element | None:
    if not body.strip():
        return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body[:_MAX_XML].lstrip(), parser=parser)
    except etree.XMLSyntaxError:
        return None


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


def parse_rfc822_date(value: str | None) -> datetime | None:
    """RSS pubDate values."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
