"""WordPress's own markup (core blocks, classic template tags, body classes), no SEO plugin.

Fixtures: pages/wordpress-block.html (twentytwentythree and the core block render callbacks)
and pages/wordpress-classic.html (rendered by WordPress 6.1 with twentytwentyone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from parsel import Selector

from crawler.discovery import page_kind
from crawler.extraction import extract
from crawler.extraction.dom import parse
from crawler.extraction.index import PageIndex
from crawler.extraction.wordpress import not_an_article, post_terms

PAGES = Path(__file__).parent / "pages"
BLOCK_URL = "https://hub.test/2026/03/04/wheat-farmers-opened-talks-about-port-capacity/"


def test_block_theme_fields_come_from_the_core_blocks() -> None:
    art = extract((PAGES / "wordpress-block.html").read_bytes(), BLOCK_URL + "?replytocom=2")
    assert art.url == BLOCK_URL
    assert art.title == "Wheat farmers opened talks about port capacity"
    assert (art.author, art.sources["author"]) == ("Sara Ahmadi", "wordpress")
    # The first category of the taxonomy-category block; its rel="tag" links are no tags, and
    # neither are the custom taxonomy's ("region") nor the query loop's (another post's).
    assert (art.category, art.sources["category"]) == ("Economy", "wordpress")
    assert (art.tags, art.sources["tags"]) == (["Trade", "Markets"], "wordpress")
    assert art.published_at == datetime(2026, 3, 4, 13, 41, tzinfo=UTC)
    assert art.agency == "Tasnim News Agency"
    assert art.body is not None
    assert art.body.startswith("Wheat farmers opened talks about port capacity.")
    for junk in ("Reader comment", "national team", "Posted", "Tags:", "translated this news"):
        assert junk not in art.body


def test_block_theme_post_without_tags_has_none() -> None:
    html = (PAGES / "wordpress-block.html").read_text()
    start = html.index('<div class="taxonomy-post_tag')
    html = html[:start] + html[html.index("</div>", start) + 6 :]
    art = extract(html, BLOCK_URL)
    assert art.category == "Economy"
    assert art.tags == []


def test_post_terms_per_taxonomy_outside_query_loops() -> None:
    root = parse((PAGES / "wordpress-block.html").read_text(), [])
    assert root is not None
    assert post_terms(PageIndex(root)) == {
        "category": ["Economy", "International"],
        "region": ["Asia Pacific"],
        "post_tag": ["Trade", "Markets"],
    }


def test_classic_theme_template_tags() -> None:
    url = "https://hub.test/2026/03/08/%d8%ae%d8%a8%d8%b1%db%8c/"
    art = extract((PAGES / "wordpress-classic.html").read_bytes(), url)
    assert art.title == "خبری از برنامه تازه همکاری های منطقه ای شماره 14 (updated)"
    assert art.author == "مریم حسینی"
    assert art.category == "Culture"
    assert art.tags == ["Health", "Oil", "تهران"]
    assert art.published_at == datetime(2026, 3, 8, 8, 54, tzinfo=UTC)
    assert art.agency == "Tasnim News Agency"
    assert art.body is not None and "Reader comment" not in art.body
    assert art.body.endswith("Update: this story was corrected after publication.")


def _page(body_class: str, head: str = "") -> Selector:
    return Selector(
        text=f"<html><head>{head}</head><body class='{body_class}'><h1>T</h1></body></html>"
    )


_OG_ARTICLE = '<meta property="og:type" content="article" />'
_NEWS_LD = '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'


@pytest.mark.parametrize(
    ("body_class", "head", "kind"),
    [
        ("post-template-default single single-post postid-4 single-format-standard", "", "article"),
        # get_body_class() for a static page and an attachment page, even when an SEO plugin
        # says og:type article (Yoast does on pages).
        ("page-template-default page page-id-2 wp-embed-responsive", _OG_ARTICLE, "listing"),
        (
            "attachment attachment-template-default single single-attachment postid-148 "
            "attachmentid-148 attachment-jpeg",
            _OG_ARTICLE,
            "listing",
        ),
        ("error404 wp-embed-responsive", "", "listing"),
        ("archive category category-sports category-5", "", "listing"),
        ("home blog paged paged-2", "", "listing"),
        # A bare "page" class is not WordPress's: structured data still decides.
        ("page", _NEWS_LD, "article"),
    ],
)
def test_page_kind_reads_wordpress_body_classes(body_class: str, head: str, kind: str) -> None:
    assert page_kind(_page(body_class, head), "https://hub.test/x/") == kind


def test_not_an_article() -> None:
    assert not_an_article(["page", "page-id-7"])
    assert not not_an_article(["single", "single-post", "postid-7"])


def test_post_class_names_terms_a_theme_does_not_print() -> None:
    """No term list on the page: the article's post_class() slugs, named by archive links."""
    html = (PAGES / "wordpress-classic.html").read_text()
    start = html.index('<div class="post-taxonomies">')
    html = html[:start] + html[html.index("</div>", start) + 6 :]
    # The footer's Categories widget (twentytwentyone's default widgets) names the category.
    art = extract(html, "https://hub.test/x/")
    assert (art.category, art.sources["category"]) == ("Culture", "post-class")
    assert art.tags == []  # no link names the tag slugs
    menu = (
        '<ul class="menu"><li><a href="https://hub.test/tag/oil/">Oil</a></li>'
        '<li><a href="https://hub.test/tag/health/">Health</a></li></ul>'
    )
    art = extract(html.replace("</footer>", menu + "</footer>", 1), "https://hub.test/x/")
    # In post_class() order; the Persian tag's class is "tag-13" (its id): no name for it.
    assert (art.tags, art.sources["tags"]) == (["Health", "Oil"], "post-class")
