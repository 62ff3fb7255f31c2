"""Site chrome and non-article pages of the demo hub: home, archives, search, 404, login.

The chrome (header, nav menu, footer) is shared by every HTML page, article pages included, so
that a crawler meets the same boilerplate everywhere, the way a real WordPress site repeats it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from crawler.demo import rest
from crawler.demo.web import HTML_UTF8, DemoResponse, e, html, iso_local, month_day_year, redirect

if TYPE_CHECKING:
    from crawler.demo.site import DemoArticle, DemoHub

PER_PAGE = 10
#: Query string some internal links carry, so a crawler that keeps it stores duplicates.
NAV_TRACKING = "?utm_source=menu&utm_medium=nav"
SHARE_TARGETS = {
    "twitter": "https://twitter.com/intent/tweet?url=",
    "facebook": "https://www.facebook.com/sharer/sharer.php?u=",
}


def list_url(kind: str, slug: str, page: int) -> str:
    """Path of an archive page (``home`` is ``/``, ``/page/N/``)."""
    prefix = "/" if kind == "home" else f"/{kind}/{slug}/"
    return prefix if page == 1 else f"{prefix}page/{page}/"


def head(
    hub: DemoHub,
    base: str,
    title: str,
    *,
    extra: str = "",
    charset: str = '<meta charset="UTF-8">',
    lang: str = "en-US",
) -> str:
    """``<!DOCTYPE>`` through ``<body>``: charset, title, feed links and ``extra`` head tags."""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{charset}\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n"
        f'<link rel="alternate" type="application/rss+xml" title="{e(hub.site_name)} &raquo; '
        f'Feed" href="{base}/feed/">\n'
        f'<link rel="alternate" type="application/atom+xml" href="{base}/feed/atom/">\n'
        f'<link rel="stylesheet" href="{base}/wp-content/themes/hub/style.css?ver=6.5">\n'
        + (rest.announce(hub, base)[0] if hub.rest_api else "")
        + f"{extra}</head>\n"
    )


def header(hub: DemoHub, base: str) -> str:
    """Top bar, logo and the nav menu with every category (some links carry tracking)."""
    items = [f'<li class="menu-item menu-item-home"><a href="{base}/">Home</a></li>']
    for i, (slug, label) in enumerate(hub.categories.items()):
        track = NAV_TRACKING if i % 3 == 1 else ""
        items.append(
            f'<li class="menu-item"><a href="{base}/category/{slug}/{track}">{e(label)}</a></li>'
        )
    return (
        '<div class="topbar"><span class="get-news">Get News Fast</span></div>\n'
        f'<header id="masthead" class="site-header"><a class="site-logo" href="{base}/" '
        f'rel="home">{e(hub.site_name)}</a>\n'
        f'<form role="search" method="get" action="{base}/"><input type="search" name="s" '
        'placeholder="Search"></form>\n'
        f'<nav id="site-navigation" class="main-navigation"><ul id="menu-main" class="menu">'
        f"{''.join(items)}</ul></nav></header>\n"
    )


def ad_block(slot: str, text: str) -> str:
    """A banner ad with an off-site link, labelled like the real thing."""
    return (
        f'<div class="hub-ad hub-ad-{slot}"><span class="ad-label">Advertisement</span>'
        f'<a href="https://ads.example.net/click?slot={slot}" rel="nofollow sponsored" '
        f'target="_blank">{e(text)}</a></div>\n'
    )


def footer(hub: DemoHub, base: str) -> str:
    """Footer links, copyright and the back-to-top button."""
    return (
        '<footer id="colophon" class="site-footer"><div class="footer-links">'
        f'<a href="{base}/about-us/">About us</a> <a href="{base}/contact/">Contact</a> '
        f'<a href="{base}/feed/">RSS</a> <a href="{base}/sitemap_index.xml">Sitemap</a></div>\n'
        f'<div class="copyright">Copyright 2026 {e(hub.site_name)}. All rights reserved.</div>\n'
        '<a href="#" id="back-to-top" class="back-to-top" title="Back to top button">'
        "Back to top button</a></footer>\n"
        f'<script src="{base}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1"></script>\n'
        "</body>\n</html>\n"
    )


def item(base: str, art: DemoArticle) -> str:
    """One teaser in an archive list."""
    return (
        f'<article class="post-item post-{art.id}"><a class="thumb" href="{base}{art.path}">'
        f'<img src="{base}{art.image}" alt="" loading="lazy"></a>\n'
        f'<h2 class="entry-title"><a href="{base}{art.path}" rel="bookmark">{e(art.title)}</a>'
        f'</h2>\n<div class="entry-meta"><span class="byline">By <a href="{base}/author/'
        f'{art.author_slug}/">{e(art.author)}</a></span> <time datetime="'
        f'{iso_local(art.published_at)}">{month_day_year(art.published_at)}</time></div>\n'
        f'<p class="excerpt">{e(art.lead)}</p></article>\n'
    )


def listing(hub: DemoHub, base: str, kind: str, slug: str, page: int) -> DemoResponse:
    """Home page, ``/page/N/`` and category/tag/author archives, 10 per page, newest first."""
    if kind == "home":
        arts, heading = hub.latest, None
    elif hub.sitemap_only:  # archives off: older articles are only in the sitemaps
        return not_found(hub, base)
    else:
        names = {"category": hub.categories, "tag": hub.tags, "author": hub.authors}[kind]
        if slug not in names:
            return not_found(hub, base)
        arts = hub.listing(kind, slug)
        heading = f"{kind.capitalize()}: {names[slug]}"
    pages = 1 if hub.sitemap_only else max(1, -(-len(arts) // PER_PAGE))
    if page < 1 or page > pages:
        return not_found(hub, base)
    chunk = arts[(page - 1) * PER_PAGE : page * PER_PAGE]
    links, nav = "", []
    if page > 1:
        url = base + list_url(kind, slug, page - 1)
        links += f'<link rel="prev" href="{url}">\n'
        nav.append(f'<a class="prev page-numbers" rel="prev" href="{url}">Newer posts</a>')
    nav.append(f'<span class="page-numbers current">{page}</span>')
    if page < pages:
        url = base + list_url(kind, slug, page + 1)
        links += f'<link rel="next" href="{url}">\n'
        nav.append(f'<a class="next page-numbers" rel="next" href="{url}">Older posts</a>')
    title = hub.site_name if heading is None else f"{heading} - {hub.site_name}"
    if page > 1:
        title = f"{heading or 'Latest news'} - Page {page} - {hub.site_name}"
    canonical = f'<link rel="canonical" href="{base}{list_url(kind, slug, page)}">\n'
    parts = [head(hub, base, title, extra=canonical + links), '<body class="archive">\n']
    parts.append(header(hub, base))
    parts.append('<main id="main" class="site-main">\n')
    if heading:
        parts.append(
            f'<header class="page-header"><h1 class="page-title">{e(heading)}</h1></header>\n'
        )
    elif page == 1:
        parts.append(
            ad_block("home-top", "Safe investment in free trade zones | 300 ready projects")
        )
    if not chunk:
        parts.append('<p class="no-results">Nothing found.</p>\n')
    parts.extend(item(base, a) for a in chunk)
    parts.append(f'<nav class="pagination">{" ".join(nav)}</nav>\n</main>\n')
    if kind == "home" and page == 1:
        parts.append(_sidebar(hub, base))
    parts.append(footer(hub, base))
    headers = []
    if kind == "home" and page == 1:
        headers = [
            ("Set-Cookie", "wordpress_test_cookie=WP%20Cookie%20check; path=/; HttpOnly"),
            ("Set-Cookie", "hub_visitor=1; path=/; SameSite=Lax"),
        ]
    return html(200, "".join(parts), headers=headers)


def _sidebar(hub: DemoHub, base: str) -> str:
    """Tag cloud and editor's picks (old ``/archives/ID/`` links that redirect twice)."""
    tags = sorted(hub.tags, key=lambda t: (-len(hub.listing("tag", t)), t))[:8]
    cloud = " ".join(f'<a href="{base}/tag/{t}/" rel="tag">{e(hub.tags[t])}</a>' for t in tags)
    picks = hub.articles[: min(2, len(hub.articles))]
    links = "".join(f'<li><a href="{base}/archives/{a.id}/">{e(a.title)}</a></li>' for a in picks)
    return (
        f'<aside id="secondary" class="widget-area"><section class="widget tag-cloud">'
        f'<h3 class="widget-title">Tags</h3>{cloud}</section>\n'
        f'<section class="widget picks"><h3 class="widget-title">Editor’s picks</h3><ul>{links}'
        f"</ul></section>\n{ad_block('sidebar', 'Tour packages to the Caspian coast')}</aside>\n"
    )


def search(hub: DemoHub, base: str, query: str) -> DemoResponse:
    """``/?s=``: titles containing the query (robots.txt disallows it)."""
    needle = query.lower()
    found = [a for a in hub.latest if needle and needle in a.title.lower()][:PER_PAGE]
    extra = '<meta name="robots" content="noindex, follow">\n'
    body = "".join(item(base, a) for a in found) or '<p class="no-results">Nothing found.</p>\n'
    return html(
        200,
        head(hub, base, f"You searched for {query} - {hub.site_name}", extra=extra)
        + '<body class="search">\n'
        + header(hub, base)
        + f'<main id="main"><h1 class="page-title">Search results for: {e(query)}</h1>\n'
        + body
        + "</main>\n"
        + footer(hub, base),
    )


STATIC = {
    "/about-us/": ("About us", "An independent hub that translates and republishes news from "
                   "agencies in the region."),
    "/contact/": ("Contact", "Write to the newsroom through the form below; we answer within "
                  "two working days."),
}  # fmt: skip


def static(hub: DemoHub, base: str, path: str) -> DemoResponse:
    """The footer's "About us" and "Contact" pages (plain WordPress pages, not articles)."""
    title, text = STATIC[path]
    return html(
        200,
        head(hub, base, f"{title} - {hub.site_name}")
        + '<body class="page-template-default page">\n'
        + header(hub, base)
        + f'<main id="main"><article class="page"><h1 class="entry-title">{title}</h1>\n'
        + f'<div class="entry-content"><p>{text}</p></div></article></main>\n'
        + footer(hub, base),
    )


def not_found(hub: DemoHub, base: str) -> DemoResponse:
    """The theme's 404 page (full chrome, so it looks like a normal page to a naive parser)."""
    text = (
        head(hub, base, f"Page not found - {hub.site_name}")
        + '<body class="error404">\n'
        + header(hub, base)
        + '<main id="main"><h1 class="page-title">Oops! That page can’t be found.</h1>\n'
        + "<p>It looks like nothing was found at this location. Maybe try a search?</p></main>\n"
        + footer(hub, base)
    )
    return html(404, text)


def login(hub: DemoHub, base: str) -> DemoResponse:
    """``/wp-login.php`` and ``/wp-admin/``: a login form no crawler should fetch."""
    text = (
        head(
            hub,
            base,
            f"Log In ‹ {hub.site_name} — WordPress",
            extra='<meta name="robots" content="noindex, noarchive">\n',
        )
        + '<body class="login">\n<div id="login"><h1>Log In</h1>\n'
        + f'<form name="loginform" id="loginform" action="{base}/wp-login.php" method="post">\n'
        + '<p><label for="user_login">Username or Email Address</label>'
        + '<input type="text" name="log" id="user_login"></p>\n'
        + '<p><label for="user_pass">Password</label><input type="password" name="pwd" '
        + 'id="user_pass"></p>\n<p><input type="submit" name="wp-submit" value="Log In"></p>\n'
        + f'</form>\n<p id="backtoblog"><a href="{base}/">← Go to {e(hub.site_name)}</a></p>'
        + "</div>\n</body>\n</html>\n"
    )
    return html(
        200,
        text,
        headers=[
            ("X-Frame-Options", "SAMEORIGIN"),
            ("Cache-Control", "no-cache, must-revalidate, max-age=0"),
        ],
    )


def share(hub: DemoHub, art: DemoArticle, base: str, network: str) -> DemoResponse:
    """``?share=twitter``: Jetpack-style 302 to the network, off site."""
    target = SHARE_TARGETS.get(network)
    if target is None:
        return not_found(hub, base)
    return redirect(target + quote(base + art.path, safe=""), 302)


__all__ = ["HTML_UTF8", "listing", "login", "not_found", "search", "share"]
