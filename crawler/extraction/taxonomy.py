"""Category and tags: structured data first, then WordPress theme labels, breadcrumbs, tag links."""

from __future__ import annotations

from collections.abc import Sequence

from .dom import in_other_region, norm, text_of
from .index import PageIndex, elements, texts
from .structured import Structured, text_value
from .wordpress import in_other_taxonomy, post_class_terms, post_terms

_CATEGORY = (
    ".jeg_meta_category a", ".td-category a", ".entry-category a", ".post-cat-wrap a",
    ".cat-links a", "a[rel~=category]", ".post-category a", ".category-label",
    "[itemprop~=articleSection]",
)  # fmt: skip


_BREADCRUMB = (
    ".breadcrumb a", ".breadcrumbs a", ".jeg_breadcrumbs a", ".entry-crumbs a", "#breadcrumb a",
    "nav[aria-label~=breadcrumb] a", ".rank-math-breadcrumb a", ".yoast-breadcrumb a",
)  # fmt: skip


_TAG_LINKS = (
    "a[rel~=tag]:not([rel~=category])", ".jeg_post_tags a", ".td-tags a", ".tagcloud a",
    ".tags-links a", ".post-tags a", ".entry-tags a",
)  # fmt: skip


_HOME = frozenset({"home", "homepage", "main page", "start", "خانه", "صفحه اصلی", "الرئيسية"})


def _clean_label(text: str) -> str:
    return norm(text).strip(" –—-•|»›/:").strip()


def find_category(
    page: PageIndex, data: Structured, rule: Sequence[str], title: str | None
) -> tuple[str | None, str]:
    """Section: JSON-LD articleSection, article:section, theme category label, breadcrumb."""
    section = data.article.get("articleSection")
    candidates: list[tuple[list[str], str]] = [
        (texts(page, rule), "rules"),
        ([text_value(section[0] if isinstance(section, list) and section else section)], "json-ld"),
        ([data.first_meta("article:section")], "meta"),
        (post_terms(page).get("category", [])[:1], "wordpress"),
        (texts(page, _CATEGORY), "label"),
    ]
    for values, source in candidates:
        for value in values:
            label = _clean_label(value.split(",")[0] if source == "json-ld" else value)
            if label:
                return label, source
    crumbs = _jsonld_breadcrumb(data) or texts(page, _BREADCRUMB, anywhere=True)
    crumbs = [c for c in map(_clean_label, crumbs) if c and c.casefold() not in _HOME]
    if crumbs and title and crumbs[-1].casefold() == title.casefold():
        crumbs.pop()
    if crumbs:
        return crumbs[-1], "breadcrumb"
    named = post_class_terms(page).get("category")
    return (named[0], "post-class") if named else (None, "")


def _jsonld_breadcrumb(data: Structured) -> list[str]:
    for node in data.nodes:
        kinds = node.get("@type")
        if kinds == "BreadcrumbList" or (isinstance(kinds, list) and "BreadcrumbList" in kinds):
            items = node.get("itemListElement") or []
            items = items if isinstance(items, list) else [items]
            names = []
            for item in items:
                if isinstance(item, dict):
                    inner = item.get("item")
                    name = item.get("name") or (
                        inner.get("name") if isinstance(inner, dict) else ""
                    )
                    names.append(text_value(name))
            return [n for n in names if n]
    return []


def _tag_links(page: PageIndex) -> list[str]:
    """Tag links, never those of a post-terms block of another taxonomy (category, custom)."""
    hits = [el for el in elements(page, _TAG_LINKS) if not in_other_taxonomy(el)]
    return [t for el in hits if not in_other_region(el) and (t := norm(text_of(el)))]


def find_tags(
    page: PageIndex, data: Structured, rule: Sequence[str], category: str | None
) -> tuple[list[str], str]:
    """Keywords from JSON-LD or article:tag, else tag links; de-duplicated, never the category."""
    keywords = data.article.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    terms = post_terms(page)
    candidates: list[tuple[list[str], str]] = [
        (texts(page, rule), "rules"),
        ([text_value(k) for k in keywords] if isinstance(keywords, list) else [], "json-ld"),
        ([norm(v) for v in data.meta.get("article:tag", [])], "meta"),
        (terms.get("post_tag", []), "wordpress"),
    ]
    if "post_tag" not in terms:  # a block theme's tag list, even empty, is the whole truth
        candidates.append((_tag_links(page), "links"))
        candidates.append((post_class_terms(page).get("post_tag", []), "post-class"))
    skip = {category.casefold()} if category else set()
    for values, source in candidates:
        tags: list[str] = []
        seen = set(skip)
        for value in values:
            tag = _clean_label(value).lstrip("#")
            if tag and tag.casefold() not in seen and len(tag) <= 100:
                seen.add(tag.casefold())
                tags.append(tag)
        if tags:
            return tags, source
    return [], ""
