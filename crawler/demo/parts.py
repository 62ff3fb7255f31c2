"""The parts every article page has, whatever its theme: body blocks with an inline ad, the
agency attribution, related links, tags, share links, comments, and the structured data
(JSON-LD, OpenGraph) in the head. Themes arrange these; see ``themes``.

Per-page extras that are not ground truth (captcha, ad text, comments) come from a generator
keyed by (seed, id), so pages stay reproducible and do not change when the body is edited.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from crawler.demo.text import COMMENTERS, Writer
from crawler.demo.web import e, iso_local, month_day_year

if TYPE_CHECKING:
    from crawler.demo.site import DemoArticle, DemoHub

RELATED_TRACKING = "?utm_source=related&utm_medium=web"
END_MARKER = "end of message/"


class ArticleParts:
    """Everything one article page needs, computed once."""

    def __init__(self, hub: DemoHub, art: DemoArticle, base: str) -> None:
        self.hub, self.art, self.base = hub, art, base
        self.rng = random.Random(f"newshub-demo-page:{hub.seed}:{art.id}")
        self.writer = Writer(self.rng, art.category)
        self.url = base + art.path
        self.cat_url = f"{base}/category/{art.category_slug}/"
        self.author_url = f"{base}/author/{art.author_slug}/"
        self.structured = art.has_jsonld or art.has_opengraph
        self.sub_tag = self.rng.choice(("h2", "h3"))

    def body(self, ad_class: str) -> str:
        """Body blocks with an inline ad after the second block."""
        out = []
        subs = set(self.art.subheadings)
        for i, block in enumerate(self.art.blocks):
            tag = self.sub_tag if block in subs else "p"
            out.append(f"<{tag}>{e(block)}</{tag}>\n")
            if i == 1:
                out.append(
                    f'<div class="{ad_class}"><span class="ad-label">Advertisement</span>'
                    f'<a href="https://ads.example.net/click?slot=inline-{self.art.id}" '
                    f'rel="nofollow sponsored">{e(self.writer.ad_text())}</a></div>\n'
                )
        return "".join(out)

    def agency_inline(self) -> str:
        """The attribution as the last body paragraph ("source"/"quoting" styles)."""
        art = self.art
        if art.agency_style == "source":
            return f"<p><strong>Source:</strong> {e(art.agency)}</p>\n"
        if art.agency_style == "quoting":
            return f"<p><em>{e(art.agency_line)}</em></p>\n"
        return ""

    def agency_note(self, cls: str) -> str:
        """The attribution as a note after the body ("translated" style)."""
        if self.art.agency_style != "translated":
            return ""
        return f'<p class="{cls}">{e(self.art.agency_line)}</p>\n'

    def end_marker(self) -> str:
        return f"<p>{END_MARKER}</p>\n" if self.art.end_marker else ""

    def related(self) -> str:
        return "".join(
            f'<li><a href="{self.base}{self.hub.article(i).path}{RELATED_TRACKING}">'
            f"{e(self.hub.article(i).title)}</a></li>"
            for i in self.art.related
            if self.hub.exists(i)
        )

    def tags(self, sep: str = " ") -> str:
        return sep.join(
            f'<a href="{self.base}/tag/{slug}/" rel="tag">{e(tag)}</a>'
            for tag, slug in zip(self.art.tags, self.art.tag_slugs, strict=True)
        )

    def share(self, cls: str) -> str:
        return (
            f'<div class="{cls}"><a class="share-twitter" href="{self.url}?share=twitter" '
            'rel="nofollow noopener" target="_blank">Twitter</a> '
            f'<a class="share-facebook" href="{self.url}?share=facebook" rel="nofollow noopener"'
            ' target="_blank">Facebook</a></div>\n'
        )

    def image(self) -> str:
        return f'<img src="{self.base}{self.art.image}" alt="{e(self.art.title)}">'

    def time(self, dt: datetime, text: str, cls: str, itemprop: str = "") -> str:
        """``<time datetime>`` on pages with structured data; bare text on the others."""
        if not self.structured:
            return text
        prop = f' itemprop="{itemprop}"' if itemprop else ""
        return f'<time class="{cls}" datetime="{iso_local(dt)}"{prop}>{text}</time>'

    def comments(self) -> str:
        rng, art = self.rng, self.art
        items = []
        for k in range(rng.randint(0, 3)):
            cid = art.id * 10 + k
            reply = ""
            if rng.random() < 0.3:
                reply = f'<ol class="children">{self._comment(cid + 5, "admin", True)}</ol>'
            items.append(self._comment(cid, rng.choice(COMMENTERS), False, reply))
        listing = ""
        if items:
            listing = (
                f'<h3 class="comments-title">{len(items)} thoughts on “{e(art.title)}”</h3>\n'
                f'<ol class="comment-list">{"".join(items)}</ol>\n'
            )
        login = f"{self.base}/wp-login.php?redirect_to={quote(self.url, safe='')}"
        return (
            f'<div id="comments" class="comments-area">\n{listing}'
            '<div id="respond" class="comment-respond"><h3 id="reply-title" '
            'class="comment-reply-title">Leave a Reply</h3>\n'
            f'<form action="{self.base}/wp-comments-post.php" method="post" id="commentform" '
            'class="comment-form">\n<p class="comment-notes"><span id="email-notes">Your email '
            'address will not be published.</span> <span class="required-field-message">Required '
            'fields are marked <span class="required">*</span></span></p>\n'
            '<p class="comment-form-comment"><label for="comment">Comment</label> <textarea '
            'id="comment" name="comment" rows="8" required></textarea></p>\n'
            '<p class="comment-form-author"><label for="author">Name</label> <input id="author" '
            'name="author" type="text" required></p>\n<p class="comment-form-email"><label '
            'for="email">Email</label> <input id="email" name="email" type="email" required></p>\n'
            '<p class="math-captcha-form"><span class="mc-question">'
            f"{e(self.writer.captcha())}</span> "
            '<input type="text" name="mc-value" size="2" required></p>\n'
            f'<p class="logged-in-as-link">Already have an account? <a href="{login}">Log in</a>'
            '</p>\n<p class="form-submit"><input name="submit" type="submit" value="Post Comment">'
            f'<input type="hidden" name="comment_post_ID" value="{art.id}"></p>\n</form></div>\n'
            "</div>\n"
        )

    def _comment(self, cid: int, name: str, staff: bool, children: str = "") -> str:
        cls = "comment byuser comment-author-admin" if staff else "comment"
        when = self.art.published_at
        return (
            f'<li id="comment-{cid}" class="{cls}"><article class="comment-body"><footer '
            f'class="comment-meta"><div class="comment-author vcard"><b class="fn">{e(name)}</b>'
            f' <span class="says">says:</span></div><div class="comment-metadata"><a href="'
            f'{self.url}#comment-{cid}">{month_day_year(when)}</a></div></footer>'
            f'<div class="comment-content"><p>{e(self.writer.comment())}</p></div><div '
            f'class="reply"><a rel="nofollow" class="comment-reply-link" href="{self.url}'
            f'?replytocom={cid}#respond">Reply</a></div></article>{children}</li>\n'
        )


def jsonld_script(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=None).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>\n'


def jsonld_plain(c: ArticleParts) -> dict:
    """A single NewsArticle object (tagdiv style, in the body)."""
    a = c.art
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": c.url},
        "headline": a.title,
        "description": a.lead,
        "image": [c.base + a.image],
        "datePublished": iso_local(a.published_at),
        "author": {"@type": "Person", "name": a.author, "url": c.author_url},
        "publisher": {
            "@type": "Organization",
            "name": c.hub.site_name,
            "logo": {"@type": "ImageObject", "url": f"{c.base}/logo.png"},
        },
        "articleSection": a.category,
        "keywords": ", ".join(a.tags),
        "inLanguage": "en-US",
    }
    if a.modified_at:
        data["dateModified"] = iso_local(a.modified_at)
    return data


def jsonld_graph(c: ArticleParts) -> dict:
    """Yoast-style ``@graph`` (jnews/generatepress, in the head); the WebPage name has the
    site suffix, the NewsArticle headline does not."""
    a = c.art
    org = f"{c.base}/#organization"
    person = f"{c.base}/#/schema/person/{a.author_slug}"
    article = {
        "@type": "NewsArticle",
        "@id": f"{c.url}#article",
        "isPartOf": {"@id": c.url},
        "author": {"name": a.author, "@id": person},
        "headline": a.title,
        "datePublished": iso_local(a.published_at),
        "mainEntityOfPage": {"@id": c.url},
        "wordCount": a.word_count,
        "publisher": {"@id": org},
        "keywords": list(a.tags),
        "articleSection": [a.category],
        "inLanguage": "en-US",
    }
    page = {
        "@type": "WebPage",
        "@id": c.url,
        "url": c.url,
        "name": f"{a.title} - {c.hub.site_name}",
        "datePublished": article["datePublished"],
    }
    if a.modified_at:
        article["dateModified"] = page["dateModified"] = iso_local(a.modified_at)
    graph = [
        article,
        page,
        {"@type": "Organization", "@id": org, "name": c.hub.site_name},
        {"@type": "Person", "@id": person, "name": a.author, "url": c.author_url},
    ]
    return {"@context": "https://schema.org", "@graph": graph}


def head_meta(c: ArticleParts) -> str:
    """Head tags: canonical, shortlink, description, OpenGraph (some pages) and the Yoast-style
    JSON-LD graph (jnews/generatepress pages; tagdiv puts its JSON-LD in the body)."""
    a = c.art
    out = [
        f'<link rel="canonical" href="{c.url}">',
        f'<link rel="shortlink" href="{c.base}/?p={a.id}">',
        f'<meta name="description" content="{e(a.lead)}">',
    ]
    # Language editions as WPML prints them (WPML_SEO_HeadLangs::head_langs, GPL-2.0-or-later:
    # hreflang before href, " />"), x-default last pointing at the original.
    alternates = c.hub.alternates.get(a.id, {})
    out += [
        f'<link rel="alternate" hreflang="{lang}" href="{c.base}{path}" />'
        for lang, path in alternates.items()
    ]
    if alternates:
        first = next(iter(alternates.values()))
        out.append(f'<link rel="alternate" hreflang="x-default" href="{c.base}{first}" />')
    if a.has_opengraph:
        out += [
            '<meta property="og:locale" content="en_US">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:title" content="{e(a.title)}">',
            f'<meta property="og:description" content="{e(a.lead)}">',
            f'<meta property="og:url" content="{c.url}">',
            f'<meta property="og:site_name" content="{e(c.hub.site_name)}">',
            f'<meta property="og:image" content="{c.base}{a.image}">',
            f'<meta property="article:published_time" content="{iso_local(a.published_at)}">',
        ]
        if a.modified_at:
            out.append(
                f'<meta property="article:modified_time" content="{iso_local(a.modified_at)}">'
            )
        out.append(f'<meta property="article:section" content="{e(a.category)}">')
        out += [f'<meta property="article:tag" content="{e(t)}">' for t in a.tags]
    out.append("")
    head = "\n".join(out)
    if a.has_jsonld and a.theme != "tagdiv":
        head += jsonld_script(jsonld_graph(c))
    return head
