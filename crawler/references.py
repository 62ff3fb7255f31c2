"""The URLs an HTML page or a stylesheet needs to render: page requisites, as a browser sees them.

Read by the requisites middleware (crawler.middlewares.requisites), which asks for them while
crawling, and by the WARC subset export (newshub_archive.subset), which follows them through
the archive. Stylesheets, scripts, images (``srcset`` and lazy-loading attributes too), icons
and preloaded fonts of HTML; ``url(...)`` and ``@import`` targets of CSS.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

if TYPE_CHECKING:
    from parsel import Selector
    from scrapy.http import Response

_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s][^)\s]*))\s*\)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]+)"|'([^']+)')""", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
# <link rel=...> values whose href a browser fetches to render the page.
_LINK_RELS = frozenset({"stylesheet", "icon", "apple-touch-icon", "modulepreload"})
_PRELOAD_AS = frozenset({"style", "script", "font", "image"})
# Attributes holding one URL each (lazy-loading plugins move src into data-*).
_URL_XPATH = (
    "//script/@src | //img/@src | //img/@data-src | //img/@data-lazy-src"
    " | //video/@poster | //input[@type='image']/@src | //body/@background"
)
_SRCSET_XPATH = "//img/@srcset | //img/@data-srcset | //img/@data-lazy-srcset | //source/@srcset"
_SOCIAL_XPATH = (
    "//meta[@property='og:image' or @property='og:image:url' or @name='twitter:image']/@content"
)
# Compiled once and run on the selector's lxml tree: parsel compiles an expression on every
# call and wraps every match, which took half the time of reading a page's requisites.
_LINKS = etree.XPath("//link[@href]")
_URLS = etree.XPath(_URL_XPATH, smart_strings=False)
_SRCSETS = etree.XPath(_SRCSET_XPATH, smart_strings=False)
_STYLES = etree.XPath("//style/text() | //@style", smart_strings=False)
_SOCIAL_IMAGES = etree.XPath(_SOCIAL_XPATH, smart_strings=False)


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` value, parsed as HTML does ("a.jpg 1x, b.jpg 2x")."""
    urls: list[str] = []
    position, end = 0, len(value)
    while True:
        while position < end and (value[position].isspace() or value[position] == ","):
            position += 1
        if position >= end:
            return urls
        start = position
        while position < end and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # skip the descriptors ("300w", "2x") up to the next comma
            while position < end and value[position] != ",":
                position += 1
        if url:
            urls.append(url)


def css_references(text: str) -> list[str]:
    """``url(...)`` and ``@import "..."`` targets of a stylesheet or style attribute."""
    text = _CSS_COMMENT.sub("", text)
    found = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(text)]
    found += [m.group(1) or m.group(2) for m in _CSS_IMPORT.finditer(text)]
    return [url.strip() for url in found if url.strip()]


def html_references(selector: Selector, social_images: bool = False) -> list[str]:
    """Every requisite URL an HTML page references, relative as written, in document order."""
    root = selector.root
    found: list[str] = []
    for link in _LINKS(root):
        rels = set((link.get("rel") or "").lower().split())
        preload = "preload" in rels and (link.get("as") or "").lower() in _PRELOAD_AS
        if rels & _LINK_RELS or preload:
            found.append(link.get("href"))
    found += _URLS(root)
    for value in _SRCSETS(root):
        found += srcset_urls(value)
    for css in _STYLES(root):
        found += css_references(css)
    if social_images:
        found += _SOCIAL_IMAGES(root)
    return [url.strip() for url in found if url and url.strip()]


def is_stylesheet(response: Response) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    return content_type.startswith("text/css") or urlsplit(response.url).path.endswith(".css")
