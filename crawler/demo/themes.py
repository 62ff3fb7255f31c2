"""Article pages in three WordPress theme markups: ``jnews``, ``tagdiv`` and ``generatepress``.

A news-hub crawler meets many themes; these three differ where extractors look (body container,
date, byline, category) so that an extractor tuned to one is tested against the others. The
page-level parts (structured data, comments, share links, related links) are shared, in
``parts``; what each theme contributes is its ``_<theme>()`` function and its charset handling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.demo import pages
from crawler.demo.parts import ArticleParts, head_meta, jsonld_plain, jsonld_script
from crawler.demo.web import (
    DemoResponse,
    date_generatepress,
    date_jnews,
    date_tagdiv,
    e,
    html,
    http_date,
)

if TYPE_CHECKING:
    from crawler.demo.site import DemoArticle, DemoHub

#: Where each theme puts the truth (CSS selectors; ``date_format`` is the visible published
#: date in the site's zone, for ``datetime.strptime``). ``body`` is the container of the blocks;
#: it may also hold the inline ad, an inline agency line, related links (tagdiv) and the end
#: marker. The tests check these, so they stay in step with the markup.
SELECTORS = {
    "jnews": {
        "title": "h1.jeg_post_title", "lead": "h2.jeg_post_subtitle",
        "body": "div.content-inner", "date": ".jeg_meta_date a", "modified": ".jeg_meta_modified",
        "author": ".jeg_meta_author a", "category": ".jeg_meta_category a",
        "tags": ".jeg_post_tags a[rel=tag]", "date_format": "%B %d, %Y - %H:%M",
    },
    "tagdiv": {
        "title": "h1.entry-title", "lead": "p.td-post-sub-title",
        "body": "div.td-post-content", "date": ".td-post-date", "modified": ".td-post-modified",
        "author": ".td-post-author-name a", "category": ".td-category .entry-category a",
        "tags": ".td-tags a[rel=tag]", "date_format": "%d %B %Y - %H:%M",
    },
    "generatepress": {
        "title": "h1.entry-title", "lead": "p.entry-lead",
        "body": "div.entry-content", "date": ".posted-on", "modified": ".updated-on",
        "author": ".byline .author-name", "category": ".cat-links a",
        "tags": ".tags-links a[rel=tag]", "date_format": "%B %d, %Y at %I:%M %p",
    },
}  # fmt: skip


def _jnews(c: ArticleParts) -> str:
    a = c.art
    updated = ""
    if a.modified_at:
        updated = f'<div class="jeg_meta_modified">Last updated: {date_jnews(a.modified_at)}</div>'
    return (
        '<div class="jeg_main"><div class="jeg_container">\n<div class="jeg_breadcrumbs '
        f'jeg_breadcrumb_container"><div id="breadcrumbs"><span><a href="{c.base}/">Home</a>'
        f'</span> » <span><a href="{c.cat_url}">{e(a.category)}</a></span></div></div>\n'
        f'<div class="entry-header"><h1 class="jeg_post_title">{e(a.title)}</h1>\n'
        f'<h2 class="jeg_post_subtitle">{e(a.lead)}</h2>\n'
        '<div class="jeg_meta_container"><div class="jeg_post_meta jeg_post_meta_1">'
        f'<div class="jeg_meta_author"><span class="meta_text">by</span> <a href="'
        f'{c.author_url}">{e(a.author)}</a></div>\n<div class="jeg_meta_date"><a href="{c.url}">'
        f"{date_jnews(a.published_at)}</a></div>{updated}\n"
        '<div class="jeg_meta_category"><span><span class="meta_text">in</span> '
        f'<a href="{c.cat_url}" rel="category tag">{e(a.category)}</a></span></div>'
        "</div></div></div>\n"
        f'<div class="jeg_featured featured_image">{c.image()}</div>\n'
        + c.share("jeg_share_top_container")
        + '<div class="entry-content no-share"><div class="content-inner">\n'
        + c.body("jeg_ad jeg_ad_article jnews_content_inline_ads")
        + c.agency_inline()
        + c.end_marker()
        + "</div></div>\n"
        + f'<div class="jeg_post_tags"><span>Tags:</span> {c.tags()}</div>\n'
        + c.agency_note("news-source")
        + '<div class="jnews_related_post_container"><div class="jeg_postblock_related">'
        + f'<h3 class="jeg_block_title"><span>Related Posts</span></h3><ul>{c.related()}</ul>'
        + "</div></div>\n"
        + c.comments()
        + "</div></div>\n"
    )


def _tagdiv(c: ArticleParts) -> str:
    a = c.art
    date = c.time(a.published_at, date_tagdiv(a.published_at), "entry-date updated td-module-date")
    updated = ""
    if a.modified_at:
        updated = f'<span class="td-post-modified">Updated: {date_tagdiv(a.modified_at)}</span>'
    related = ""
    if a.related:
        related = f'<div class="td-related-inline"><ul>{c.related()}</ul></div>\n'
    jsonld = jsonld_script(jsonld_plain(c)) if a.has_jsonld else ""
    return (
        '<div class="td-main-content-wrap td-container-wrap"><div class="td-container">\n'
        f'<div class="td-crumb-container"><div class="entry-crumbs"><span><a class="entry-crumb" '
        f'href="{c.base}/">Home</a></span> <i class="td-icon-right td-bread-sep"></i> <span><a '
        f'class="entry-crumb" href="{c.cat_url}">{e(a.category)}</a></span></div></div>\n'
        f'<article id="post-{a.id}" class="post-{a.id} post type-post status-publish '
        f'category-{a.category_slug}">\n<div class="td-post-header"><ul class="td-category">'
        f'<li class="entry-category"><a href="{c.cat_url}">{e(a.category)}</a></li></ul>\n'
        f'<header class="td-post-title"><h1 class="entry-title">{e(a.title)}</h1>\n'
        f'<p class="td-post-sub-title">{e(a.lead)}</p>\n'
        f'<div class="td-category-label">– {e(a.category)}</div>\n'
        '<div class="td-module-meta-info"><div class="td-post-author-name"><div '
        f'class="td-author-by">By</div> <a href="{c.author_url}">{e(a.author)}</a></div> '
        f'<span class="td-post-date">{date}</span>{updated} <div class="td-post-views"><span>'
        f"{c.rng.randint(100, 9999):,}</span></div></div></header></div>\n"
        + c.share("td-post-sharing-top")
        + '<div class="td-post-content tagdiv-type">\n'
        + f'<div class="td-post-featured-image">{c.image()}</div>\n'
        + c.body("td-a-rec td-a-rec-id-content_inline")
        + related
        + c.end_marker()
        + c.agency_inline()
        + f"</div>\n{jsonld}<footer>"
        + c.agency_note("td-post-source")
        + '<div class="td-post-source-tags"><ul class="td-tags"><li><span>TAGS</span></li>'
        + f"<li>{c.tags('</li><li>')}</li></ul></div>\n"
        + c.share("td-post-sharing-bottom")
        + "</footer></article>\n"
        + c.comments()
        + "</div></div>\n"
    )


def _generatepress(c: ArticleParts) -> str:
    a = c.art
    date = c.time(
        a.published_at, date_generatepress(a.published_at), "entry-date published", "datePublished"
    )
    updated = ""
    if a.modified_at:
        text = date_generatepress(a.modified_at)
        updated = f' <span class="updated-on">Updated on {c.time(a.modified_at, text, "updated")}'
        updated += "</span>"
    related = ""
    if a.related:
        related = f'<div class="related-posts"><h3>You may also like</h3><ul>{c.related()}</ul>'
        related += "</div>\n"
    return (
        '<div class="site grid-container container" id="page"><div class="site-content" '
        'id="content"><div class="content-area" id="primary"><main class="site-main" id="main">\n'
        f'<article id="post-{a.id}" class="post-{a.id} post type-post status-publish" '
        'itemtype="https://schema.org/CreativeWork" itemscope><div class="inside-article">\n'
        f'<div class="featured-image page-header-image-single">{c.image()}</div>\n'
        '<header class="entry-header">'
        f'<h1 class="entry-title" itemprop="headline">{e(a.title)}</h1>\n'
        f'<div class="entry-meta"><span class="posted-on">{date}</span>{updated} '
        '<span class="byline">by '
        '<span class="author vcard" itemprop="author" itemtype="https://schema.org/Person" '
        f'itemscope><a class="url fn n" href="{c.author_url}" rel="author" itemprop="url">'
        f'<span class="author-name" itemprop="name">{e(a.author)}</span></a></span></span>'
        "</div></header>\n"
        f'<p class="entry-lead"><strong>{e(a.lead)}</strong></p>\n'
        '<div class="entry-content" itemprop="text">\n'
        + c.body("gp-ad inline-ad")
        + c.agency_inline()
        + c.end_marker()
        + '</div>\n<footer class="entry-meta" aria-label="Entry meta">'
        + '<span class="cat-links"><span class="screen-reader-text">Categories </span>'
        + f'<a href="{c.cat_url}" rel="category tag">{e(a.category)}</a></span> '
        + '<span class="tags-links"><span class="screen-reader-text">Tags </span>'
        + f"{c.tags(', ')}</span></footer>\n"
        + c.agency_note("source-credit")
        + related
        + c.share("share-links")
        + "</div></article>\n"
        + c.comments()
        + "</main></div></div></div>\n"
    )


BODIES = {"jnews": _jnews, "tagdiv": _tagdiv, "generatepress": _generatepress}


def _charset(art: DemoArticle) -> tuple[str, str]:
    """(Content-Type header, charset meta tag); legacy pages declare it three ways."""
    if art.charset == "utf-8":
        return "text/html; charset=UTF-8", '<meta charset="UTF-8">'
    declared = f"text/html; charset={art.charset}"
    variant = art.id % 3
    if variant == 0:
        return declared, f'<meta charset="{art.charset}">'
    if variant == 1:
        return "text/html", f'<meta charset="{art.charset}">'
    return declared, f'<meta http-equiv="Content-Type" content="{declared}">'


def article_page(hub: DemoHub, art: DemoArticle, base: str) -> DemoResponse:
    """The full article page in the article's theme; odd ids are sent chunked."""
    c = ArticleParts(hub, art, base)
    ctype, meta = _charset(art)
    body_class = f"post-template-default single single-post postid-{art.id} theme-{art.theme}"
    text = (
        pages.head(
            hub,
            base,
            f"{art.title} - {hub.site_name}",
            extra=head_meta(c),
            charset=meta,
            lang="en-US" if art.language == "en" else art.language,
        )
        + f'<body class="{body_class}">\n'
        + pages.header(hub, base)
        + BODIES[art.theme](c)
        + pages.footer(hub, base)
    )
    last = art.modified_at or art.published_at
    headers = [
        ("Last-Modified", http_date(last)),
        ("Link", f"<{base}/?p={art.id}>; rel=shortlink"),
    ]
    return html(
        200, text, headers=headers, charset=art.charset, content_type=ctype, chunked=art.id % 2 == 1
    )
