"""What a page is, from its structure: an article or a listing, and the feeds it announces.

Pure functions over a parsel Selector. Kept apart from crawler.discovery (sitemaps, feeds),
which needs Scrapy: the extraction worker (crawler.page_reading) reads every page with these
and never imports Scrapy.
"""

from __future__ import annotations

import json

from lxml import etree
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
# Compiled once and run on the selector's lxml tree (parsel compiles on every call).
_ALTERNATES = etree.XPath('//link[@rel="alternate"]')
_BODY_CLASS = etree.XPath("//body/@class", smart_strings=False)
_JSONLD = etree.XPath('//script[@type="application/ld+json"]/text()', smart_strings=False)
_OG_TYPE = etree.XPath('//meta[@property="og:type"]/@content', smart_strings=False)
_HEADLINES = etree.XPath("count(//h1)")
_LONG_PARAGRAPHS = etree.XPath("count(//p[string-length(normalize-space()) > 80])")


def feed_links(selector: Selector) -> list[str]:
    """Feeds a page announces with `<link rel="alternate">` (comment feeds left out)."""
    links = []
    for node in _ALTERNATES(selector.root):
        if (node.get("type") or "").lower() in FEED_TYPES:
            href = node.get("href", "")
            if href and "comments" not in href:
                links.append(href)
    return links


def page_kind(selector: Selector, url: str) -> str:
    """'article' or 'listing', from structured data, WordPress body classes, then shape."""
    root = selector.root
    body_classes = set(next(iter(_BODY_CLASS(root)), "").split())
    if wordpress.not_an_article(body_classes):  # pages and attachments, even if og:type says
        return "listing"
    for blob in _JSONLD(root):
        types = _jsonld_types(blob)
        if types & ARTICLE_TYPES:
            return "article"
    og_type = next(iter(_OG_TYPE(root)), "").lower()
    if og_type == "article":
        return "article"
    if body_classes & LISTING_BODY_CLASSES:
        return "listing"
    if body_classes & ARTICLE_BODY_CLASSES or any(c.startswith("postid-") for c in body_classes):
        return "article"
    if looks_like_listing(url):
        return "listing"
    headlines = _HEADLINES(root)
    paragraphs = _LONG_PARAGRAPHS(root)
    if headlines == 1 and paragraphs >= 3 and (looks_like_article(url) or paragraphs >= 6):
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
