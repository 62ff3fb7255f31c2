"""robots.txt, Yoast-style sitemaps, the Google News sitemap, RSS 2.0 and Atom for the demo hub.

These are the discovery paths a news crawler should prefer over link-following: the sitemaps
list every article with its ``lastmod``, the news sitemap and the feeds only the latest ones.
"""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import format_datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from crawler.demo.web import DemoResponse, http_date, iso_local

if TYPE_CHECKING:
    from crawler.demo.site import DemoArticle, DemoHub

SITEMAP_SIZE = 500
NEWS_SITEMAP_SIZE = 50
FEED_SIZE = 20
ROUTES = frozenset(
    {
        "/robots.txt",
        "/sitemap_index.xml",
        "/category-sitemap.xml",
        "/news-sitemap.xml",
        "/feed/",
        "/feed/atom/",
        "/feed",
        "/feed/atom",
    }
)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
XML = "application/xml; charset=UTF-8"


def x(text: str) -> str:
    """XML-escape text and attribute values."""
    return escape(text, {'"': "&quot;"})


def iso_utc(dt) -> str:
    return dt.astimezone(UTC).isoformat()


def lastmod(art: DemoArticle):
    return art.modified_at or art.published_at


def post_sitemaps(hub: DemoHub) -> list[list[DemoArticle]]:
    """Articles by id, SITEMAP_SIZE per file (``/post-sitemap.xml``, ``/post-sitemap2.xml``...)."""
    arts = hub.articles
    return [arts[i : i + SITEMAP_SIZE] for i in range(0, len(arts), SITEMAP_SIZE)] or [[]]


def post_sitemap_path(n: int) -> str:
    return "/post-sitemap.xml" if n == 1 else f"/post-sitemap{n}.xml"


def render(hub: DemoHub, base: str, path: str) -> DemoResponse:
    """The response for one of ROUTES or a post sitemap path."""
    path = {"/feed": "/feed/", "/feed/atom": "/feed/atom/"}.get(path, path)
    if path == "/robots.txt":
        return DemoResponse(
            200, [("Content-Type", "text/plain; charset=utf-8")], robots(base).encode()
        )
    if path == "/sitemap_index.xml":
        return _xml(sitemap_index(hub, base), XML, hub)
    if path == "/category-sitemap.xml":
        return _xml(category_sitemap(hub, base), XML, hub)
    if path == "/news-sitemap.xml":
        return _xml(news_sitemap(hub, base), XML, hub)
    if path == "/feed/":
        return _xml(rss(hub, base), "application/rss+xml; charset=UTF-8", hub, chunked=True)
    if path == "/feed/atom/":
        return _xml(atom(hub, base), "application/atom+xml; charset=UTF-8", hub)
    m = re.fullmatch(r"/post-sitemap(\d*)\.xml", path)
    n = int(m[1] or 1) if m else 0
    chunks = post_sitemaps(hub)
    if not m or m[1] == "1" or not 1 <= n <= len(chunks):
        return DemoResponse(404, [("Content-Type", "text/plain; charset=utf-8")], b"Not found\n")
    return _xml(post_sitemap(chunks[n - 1], base), XML, hub)


def _xml(text: str, ctype: str, hub: DemoHub, *, chunked: bool = False) -> DemoResponse:
    headers = [("Content-Type", ctype), ("X-Robots-Tag", "noindex, follow")]
    if hub.articles:
        headers.append(("Last-Modified", http_date(max(map(lastmod, hub.articles)))))
    return DemoResponse(200, headers, text.encode(), chunked)


def robots(base: str) -> str:
    return (
        "User-agent: *\n"
        "Allow: /wp-admin/admin-ajax.php\n"
        "Disallow: /wp-admin/\n"
        "Disallow: /wp-login.php\n"
        "Disallow: /?s=\n"
        "Disallow: /search/\n"
        "\n"
        f"Sitemap: {base}/sitemap_index.xml\n"
    )


def sitemap_index(hub: DemoHub, base: str) -> str:
    rows = []
    for n, chunk in enumerate(post_sitemaps(hub), 1):
        mod = f"<lastmod>{iso_utc(max(map(lastmod, chunk)))}</lastmod>" if chunk else ""
        rows.append(f"<sitemap><loc>{base}{post_sitemap_path(n)}</loc>{mod}</sitemap>")
    rows.append(f"<sitemap><loc>{base}/category-sitemap.xml</loc></sitemap>")
    rows.append(f"<sitemap><loc>{base}/news-sitemap.xml</loc></sitemap>")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        + "\n".join(rows)
        + "\n</sitemapindex>\n"
    )


def post_sitemap(arts: list[DemoArticle], base: str) -> str:
    rows = [
        f"<url><loc>{x(base + a.path)}</loc><lastmod>{iso_utc(lastmod(a))}</lastmod></url>"
        for a in arts
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
        + "\n".join(rows)
        + "\n</urlset>\n"
    )


def category_sitemap(hub: DemoHub, base: str) -> str:
    rows = []
    for slug in hub.categories:
        arts = hub.listing("category", slug)
        mod = f"<lastmod>{iso_utc(max(map(lastmod, arts)))}</lastmod>" if arts else ""
        rows.append(f"<url><loc>{base}/category/{slug}/</loc>{mod}</url>")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
        + "\n".join(rows)
        + "\n</urlset>\n"
    )


def news_sitemap(hub: DemoHub, base: str) -> str:
    """Google News sitemap: the latest NEWS_SITEMAP_SIZE articles, dates in the site's zone."""
    rows = [
        f"<url><loc>{x(base + a.path)}</loc><news:news><news:publication><news:name>"
        f"{x(hub.site_name)}</news:name><news:language>{a.language}</news:language>"
        f"</news:publication><news:publication_date>{iso_local(a.published_at)}"
        f"</news:publication_date><news:title>{x(a.title)}</news:title></news:news></url>"
        for a in hub.latest[:NEWS_SITEMAP_SIZE]
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" '
        f'xmlns:news="{NEWS_NS}">\n' + "\n".join(rows) + "\n</urlset>\n"
    )


def _content_html(art: DemoArticle) -> str:
    subs = set(art.subheadings)
    return "".join(f"<h2>{x(b)}</h2>" if b in subs else f"<p>{x(b)}</p>" for b in art.blocks)


def rss(hub: DemoHub, base: str) -> str:
    """RSS 2.0 with the latest FEED_SIZE articles; guid is the ``?p=ID`` shortlink."""
    latest = hub.latest[:FEED_SIZE]
    built = format_datetime(lastmod(latest[0]).astimezone(UTC), usegmt=True) if latest else ""
    items = []
    for a in latest:
        cats = "".join(f"<category><![CDATA[{t}]]></category>" for t in (a.category, *a.tags))
        items.append(
            f"<item><title>{x(a.title)}</title><link>{x(base + a.path)}</link>"
            f"<dc:creator><![CDATA[{a.author}]]></dc:creator>"
            f"<pubDate>{format_datetime(a.published_at, usegmt=True)}</pubDate>{cats}"
            f'<guid isPermaLink="false">{base}/?p={a.id}</guid>'
            f"<description><![CDATA[{a.lead}]]></description>"
            f"<content:encoded><![CDATA[{_content_html(a)}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        f"<channel><title>{x(hub.site_name)}</title>"
        f'<atom:link href="{base}/feed/" rel="self" type="application/rss+xml"/>'
        f"<link>{base}</link><description>Latest news</description>"
        f"<lastBuildDate>{built}</lastBuildDate><language>en-US</language>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    )


def atom(hub: DemoHub, base: str) -> str:
    """Atom 1.0 with the latest FEED_SIZE articles."""
    latest = hub.latest[:FEED_SIZE]
    updated = iso_utc(max(map(lastmod, latest))) if latest else iso_utc(hub.start)
    entries = []
    for a in latest:
        entries.append(
            f'<entry><author><name>{x(a.author)}</name></author><title type="html">'
            f'{x(a.title)}</title><link rel="alternate" type="text/html" '
            f'href="{x(base + a.path)}"/><id>{base}/?p={a.id}</id>'
            f"<updated>{iso_utc(lastmod(a))}</updated><published>{iso_utc(a.published_at)}"
            f'</published><category scheme="{base}" term="{x(a.category)}"/>'
            f'<summary type="html">{x(a.lead)}</summary></entry>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="en-US"><title type="text">{x(hub.site_name)}</title>'
        f"<updated>{updated}</updated><id>{base}/feed/atom/</id>"
        f'<link rel="alternate" type="text/html" href="{base}/"/>'
        f'<link rel="self" type="application/atom+xml" href="{base}/feed/atom/"/>\n'
        + "\n".join(entries)
        + "\n</feed>\n"
    )
