"""Everything the crawl reads from one HTML page, from a single parse in an extraction worker.

The reactor thread never parses HTML: the page's kind (crawler.page_kinds.page_kind), its links,
the feeds and WordPress API root it announces, its post id and language editions
(crawler.identity), the requisites it needs to render (crawler.references) and, for an
article, the extracted Article are all read here, in the extraction pool's process
(crawler.extraction.pool), from the tree the extractor parses anyway. Parsing each page a
second time with Scrapy's selector on the reactor thread cost a fifth of its CPU
(bench/throughput.py). `read_page` takes and returns only picklable values.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Iterable, Mapping
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from crawler import wp_rest
from crawler.extraction.article import Article
from crawler.extraction.core import EXTRACTOR_VERSION, extract_tree, page_tree
from crawler.extraction.links import base_url
from crawler.extraction.rules import SiteRules
from crawler.identity import editions, page_post_id, site_path
from crawler.page_kinds import feed_links, page_kind
from crawler.references import html_references
from crawler.urls import followable, looks_like_article

# request.meta key the hub spider puts a response's PageReading under, for the spider
# middlewares that need what the page says (the requisites middleware).
PAGE_READING_META = "newshub_page_reading"
# Links whose cleaning is remembered, per worker: menus, widgets and related-post blocks repeat
# the same hrefs on every page. Bounded, so memory stays flat on any hub.
LINK_CACHE_SIZE = 4096
# Every <a href> as plain strings: lxml directly, a third of parsel's time for the same list.
_HREFS = etree.XPath("//a/@href", smart_strings=False)


@dataclasses.dataclass(frozen=True)
class LinkPolicy:
    """Which of a page's links a spider follows, applied where the page is read: each link
    cleaned as it would be requested (crawler.urls.followable), denied ones and repeats left
    out, and with `listings` off only those that look like articles."""

    tracking_params: tuple[str, ...] = ()
    listings: bool = True

    def apply(self, links: Iterable[str]) -> list[str]:
        followed: dict[str, None] = {}  # insertion-ordered set
        for url in links:
            if not self.listings and not looks_like_article(url):
                continue
            cleaned = _followable(url, self.tracking_params)
            if cleaned is not None:
                followed[cleaned] = None
        return list(followed)


_followable = functools.lru_cache(maxsize=LINK_CACHE_SIZE)(followable)


def _join(base: str, href: str) -> str:
    """urljoin(base, href); an absolute href's result depends only on the base's scheme, so it
    is remembered (hubs print the same absolute menu and widget links on every page)."""
    if href.startswith(("http://", "https://")):
        return _join_absolute(base.partition(":")[0], href)
    return urljoin(base, href)


@functools.lru_cache(maxsize=LINK_CACHE_SIZE)
def _join_absolute(scheme: str, href: str) -> str:
    return urljoin(f"{scheme}://base.invalid/", href)


@dataclasses.dataclass
class PageReading:
    """What one page says. URLs are absolute, in document order."""

    kind: str  # "article" or "listing" (crawler.page_kinds.page_kind)
    links: list[str] = dataclasses.field(default_factory=list)  # <a href>s (see LinkPolicy)
    # What it announces (read on the spider's seed pages only, where they are followed).
    feeds: list[str] = dataclasses.field(default_factory=list)  # RSS/Atom feeds
    api_root: str | None = None  # the WordPress REST API root
    # An article's identity: (id, where read), REST hint aside; the WordPress site's path,
    # which scopes post ids; its language editions, hreflang -> URL.
    post_id: tuple[str | None, str | None] = (None, None)
    site_path: str = ""
    editions: dict[str, str] = dataclasses.field(default_factory=dict)
    requisites: list[str] | None = None  # as written; None: not read for this kind
    article: Article | None = None  # for an article page, when asked for


def read_page(
    html: bytes,
    url: str,
    headers: Mapping[str, str],
    rules: SiteRules | None,
    *,
    link_header: str = "",
    follow: LinkPolicy | None = None,
    announcements: bool = True,
    extract_article: bool = True,
    requisite_kinds: Collection[str] = (),
    social_images: bool = False,
) -> PageReading:
    """Read a page (url as fetched; link_header: its `Link` header values, comma-joined);
    its links are every `<a href>`, absolute, or with `follow` those the spider follows. The
    feeds and API root it announces are read with `announcements`; its identity (post id,
    editions) and Article when it is an article and `extract_article` asks for it.

    A page that cannot be parsed (empty, binary) is a listing without links; the extractor's
    own parse is the one read, so nothing is parsed twice.
    """
    article = Article(url=url, extractor_version=EXTRACTOR_VERSION)
    tree = page_tree(article, html, headers)
    if tree is None:
        return PageReading("listing")
    text, root = tree
    selector = Selector(root=root, type="html")
    kind = page_kind(selector, url)
    base = base_url(root, url)
    links = [_join(base, href) for href in _HREFS(root)]
    reading = PageReading(kind, links=links if follow is None else follow.apply(links))
    if announcements:
        reading.feeds = [urljoin(base, href) for href in feed_links(selector)]
        reading.api_root = wp_rest.api_root(selector, [link_header.encode("latin-1")], url)
    if kind in requisite_kinds:
        reading.requisites = html_references(selector, social_images)
    if kind == "article" and extract_article:
        reading.post_id = page_post_id(selector, {"link": link_header})
        reading.site_path = site_path(selector, {"link": link_header})
        reading.editions = editions(selector, url)
        reading.article = extract_tree(article, text, root, url, headers, rules)
    return reading
