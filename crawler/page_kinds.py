"""What a page is, from its structure: an article or a listing, and the feeds it announces.

Pure functions over a parsel Selector. Kept apart from crawler.discovery (sitemaps, feeds),
which needs Scrapy: the extraction worker (crawler.page_reading) reads every page with these
and never imports Scrapy.
"""

from __future__ import annotations

import json

from parsel import Selector

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
