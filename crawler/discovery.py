"""How news hubs expose their articles: robots.txt, sitemaps, feeds and page structure.

Pure functions over response bodies, so each rule is testable without a crawl.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime

from lxml import etree
from parsel import Selector
from protego import Protego

from crawler.extraction import wordpress
from crawler.sitemaps import Entry, maybe_gunzip, parse_sitemap, parse_w3c_date
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
__all__ = ["Entry", "maybe_gunzip", "parse_sitemap", "parse_w3c_date"]  # and what is below

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


def parse_rfc822_date(value: str | None) -> datetime | None:
    """RSS pubDate values."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
