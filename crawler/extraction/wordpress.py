"""WordPress's own markup, read natively: core blocks, classic template tags, body classes.

WordPress core writes no JSON-LD or OpenGraph (only SEO plugins do), so on a hub without such
a plugin the fields are in the markup WordPress itself renders:

- block themes (every default theme since 2022): the render callbacks of the core blocks in
  wp-includes/blocks/ print `wp-block-post-title`, `wp-block-post-date` (`<time datetime>`),
  `wp-block-post-author` with `wp-block-post-author__name` (and `wp-block-post-author-name`
  since 6.2), `wp-block-post-terms` with a `taxonomy-<name>` class per taxonomy (category,
  post_tag, or any custom one) whose links all carry `rel="tag"`, and `wp-block-post-content`;
- classic themes: the template tags (`get_the_category_list` gives `rel="category tag"`, the
  themes wrap them in `.cat-links` / `.tags-links`, the byline in `.byline .author`);
- `get_body_class()` says what a page is: `single-post postid-N` for a post, `page page-id-N` for
  a static page, `attachment attachmentid-N` for an attachment page, `archive`, `category`,
  `tag`, `home`, `blog` for lists (crawler/discovery.py `page_kind` reads them).

A query loop (`wp-block-query`) on a single post lists *other* posts: nothing is read from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from lxml import etree

from .dom import in_other_region, norm, text_of
from .index import PageIndex

TERMS_BLOCK = "wp-block-post-terms"
AUTHOR_NAMES = (".wp-block-post-author__name", ".wp-block-post-author-name")
# Body classes only WordPress's get_body_class() (wp-includes/post-template.php) gives a static
# page, an attachment page or a 404: never an article, even when an SEO plugin marks the page
# og:type "article". A bare "page" class is not enough: many non-WordPress sites use it.
_NOT_ARTICLE = frozenset({"error404", "single-attachment", "attachment-template-default"})
_NOT_ARTICLE_PREFIXES = ("page-id-", "attachmentid-", "page-template")


def in_query_loop(el: etree._Element) -> bool:
    """Whether the element belongs to a query loop (a list of other posts)."""
    return any(
        "wp-block-query" in (a.get("class") or "").split()
        or "wp-block-post-template" in (a.get("class") or "").split()
        for a in el.iterancestors()
    )


def _ours(page: PageIndex, cls: str) -> Iterable[etree._Element]:
    for el in page.by_class.get(cls, []):
        if not in_other_region(el) and not in_query_loop(el):
            yield el


def post_terms(page: PageIndex) -> dict[str, list[str]]:
    """The post's terms per taxonomy from `wp-block-post-terms` blocks: {"category": [...]}."""
    out: dict[str, list[str]] = {}
    for el in _ours(page, TERMS_BLOCK):
        taxonomy = next(
            (c[9:] for c in (el.get("class") or "").split() if c.startswith("taxonomy-")), ""
        )
        if not taxonomy or taxonomy in out:
            continue
        names = [norm(text_of(a)) for a in el.iter("a")]
        out[taxonomy] = [n for n in names if n]
    return out


def in_other_taxonomy(el: etree._Element) -> bool:
    """A link inside a post-terms block of a taxonomy other than post_tag (never a tag)."""
    for a in el.iterancestors():
        classes = (a.get("class") or "").split()
        if TERMS_BLOCK in classes:
            return "taxonomy-post_tag" not in classes
    return False


def author_names(page: PageIndex) -> list[str]:
    """Names from the post-author blocks, the post's own first."""
    names: list[str] = []
    for selector in AUTHOR_NAMES:
        names.extend(norm(text_of(el)) for el in _ours(page, selector[1:]))
    return [n for n in names if n]


def not_an_article(classes: Iterable[str]) -> bool:
    """Whether WordPress's body classes say the page is a static page, attachment or 404."""
    return any(c in _NOT_ARTICLE or c.startswith(_NOT_ARTICLE_PREFIXES) for c in classes)


def post_class_terms(page: PageIndex) -> dict[str, list[str]]:
    """Categories and tags named by the post's own `post_class()` (`category-<slug>`,
    `tag-<slug>` on its `<article>`), for themes that print no term list on a single post.

    A slug becomes a name only through a link on the page to /category/<slug>/ or /tag/<slug>/
    (menus, widgets, breadcrumbs): the slug itself is no display name.
    """
    post = next(
        (
            el
            for el in page.by_class.get("type-post", [])
            if "wp-block-post" not in (el.get("class") or "").split()
            and not in_query_loop(el)
            and not in_other_region(el)
        ),
        None,
    )
    if post is None:
        return {}
    slugs: dict[str, list[str]] = {"category": [], "post_tag": []}
    for token in (post.get("class") or "").split():
        if token.startswith("category-"):
            slugs["category"].append(token[9:].lower())
        elif token.startswith("tag-"):
            slugs["post_tag"].append(token[4:].lower())
    if not slugs["category"] and not slugs["post_tag"]:
        return {}
    names = _archive_link_names(page.root)
    return {
        taxonomy: [names[(taxonomy, s)] for s in found if (taxonomy, s) in names]
        for taxonomy, found in slugs.items()
    }


_BASES = {"category": "category", "tag": "post_tag"}


def _archive_link_names(root: etree._Element) -> dict[tuple[str, str], str]:
    """{(taxonomy, slug as post_class writes it): link text} for category and tag archive links."""
    out: dict[tuple[str, str], str] = {}
    for a in root.iter("a"):
        parts = [p for p in urlsplit(a.get("href") or "").path.split("/") if p]
        for base, taxonomy in _BASES.items():
            if base in parts[:-1]:
                # sanitize_html_class() drops the % of a percent-encoded (non-Latin) slug.
                key = (taxonomy, parts[-1].replace("%", "").lower())
                if key not in out and (name := norm(text_of(a))):
                    out[key] = name
    return out
