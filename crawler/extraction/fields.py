"""Title, lead, author and image, each from its most trusted source (category, tags: taxonomy).

Every finder returns (value, source) so the orchestrator can record provenance in
`Article.sources`; structured data (JSON-LD, OpenGraph) comes first, theme markup second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from .dom import in_other_region, norm
from .index import PageIndex, elements, texts
from .structured import Structured, text_value
from .wordpress import author_names

_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ", " · ", " • ", " : ", " / ")
_H1 = (
    "h1.entry-title", "h1.post-title", "h1.jeg_post_title", "h1.tdb-title-text", "h1.headline",
    "h1[itemprop~=headline]", "article h1", "main h1", "h1",
)  # fmt: skip
_LEAD = (
    ".jeg_post_subtitle", ".td-post-sub-title", ".entry-sub-title", ".post-subtitle",
    ".article-subtitle", ".entry-subtitle", ".subtitle", ".sub-title", ".standfirst",
    ".article-lead", ".entry-lead", ".post-lead", ".lead", ".post-excerpt", ".entry-excerpt",
    ".excerpt",
)  # fmt: skip
_BYLINE = (
    "[itemprop~=author] [itemprop~=name]", "a[rel~=author]", ".author-name", ".jeg_meta_author a",
    ".td-post-author-name a", ".meta-author a", ".byline .author", ".byline .fn", ".byline",
    ".post-author-name", ".author .fn", "[itemprop~=author]",
)  # fmt: skip
_PLACEHOLDERS = frozenset(
    [
        "admin",
        "administrator",
        "administrador",
        "editor",
        "editors",
        "editorial",
        "staff",
        "webmaster",
        "root",
        "user",
        "author",
        "guest",
        "desk",
        "newsdesk",
        "team",
    ]
) | {"news desk", "editorial team", "editorial staff", "site admin", "super admin", "web desk"}
_BY = re.compile(r"^(?:(?:written|posted|reported|published)\s+)?(?:by|author)\s*[:\-]?\s+", re.I)
_FEATURED = (
    ".jeg_featured", ".td-post-featured-image", ".featured-image", ".post-thumbnail",
    ".single-featured-image", ".entry-thumb", "img.wp-post-image",
)  # fmt: skip
_NOT_PHOTO = re.compile(r"(?:logo|avatar|icon|pixel|spacer|blank|gravatar)", re.I)


def strip_site(title: str, site_names: Sequence[str]) -> str:
    """Remove a " - Site Name" suffix (or "Site Name | " prefix) from a page title."""
    for name in site_names:
        if not name or name == title:
            continue
        for sep in _SEPARATORS:
            if title.endswith(sep + name):
                return title[: -len(sep + name)].strip()
            if title.startswith(name + sep):
                return title[len(name + sep) :].strip()
    return title


def _last_segment_stripped(title: str) -> str:
    """Without a known site name: drop a short last " | segment" when the rest is long."""
    for sep in _SEPARATORS[:4]:
        head, found, tail = title.rpartition(sep)
        if found and len(tail.split()) <= 5 and len(head.split()) >= 3:
            return head.strip()
    return title


def find_title(
    page: PageIndex, data: Structured, rule: Sequence[str], site_names: list[str]
) -> tuple[str | None, str]:
    """The headline without the site-name decoration."""
    h1s = texts(page, _H1)
    h1 = h1s[0] if h1s else ""
    candidates = [
        (texts(page, rule)[:1], "rules"),
        ([text_value(data.article.get("headline"))], "json-ld"),
        ([data.first_meta("og:title")], "og:title"),
        ([h1], "h1"),
        ([data.first_meta("twitter:title")], "twitter:title"),
        (texts(page, ("title",))[:1], "title"),
    ]
    for values, source in candidates:
        value = values[0] if values else ""
        if not value:
            continue
        value = strip_site(value, site_names)
        if h1 and value != h1:
            for sep in _SEPARATORS:
                if value.startswith(h1 + sep):
                    return h1, "h1"
            if value.rstrip(".… ") and h1.startswith(value.rstrip(".… ")) and source != "rules":
                return h1, "h1"
        if source == "title" and value:
            value = _last_segment_stripped(value)
        if value:
            return value, source
    return None, ""


def find_lead(page: PageIndex, data: Structured, rule: Sequence[str]) -> tuple[str | None, str]:
    """A standfirst: an explicit subtitle/excerpt element, else the page description."""
    for values, source in (
        (texts(page, rule), "rules"),
        (texts(page, _LEAD), "excerpt"),
    ):
        if values:
            return values[0], source
    for name, source in (
        ("description", "meta:description"),
        ("og:description", "og:description"),
        ("twitter:description", "twitter:description"),
    ):
        value = data.first_meta(name)
        if value:
            return value, source
    value = text_value(data.article.get("description"))
    return (value, "json-ld") if value else (None, "")


def clean_author(name: str, site_names: Sequence[str]) -> str | None:
    """A person's name, or None for placeholders ("admin", "staff", the site's own name)."""
    name = _BY.sub("", norm(name)).strip(" ,;:-–|")
    if not name or len(name) > 80 or len(name.split()) > 8 or name.startswith(("http", "@")):
        return None
    key = name.casefold()
    if key in _PLACEHOLDERS or re.fullmatch(r"(?:admin|user|editor)[\s_-]?\d*", key):
        return None
    if any(key == site.casefold() for site in site_names if site):
        return None
    return name


def _jsonld_people(data: Structured, value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        item = data.resolve(item)
        names.append(text_value(item.get("name")) if isinstance(item, dict) else text_value(item))
    return [n for n in names if n]


def find_author(
    page: PageIndex, data: Structured, rule: Sequence[str], site_names: list[str]
) -> tuple[str | None, str]:
    """JSON-LD author, meta author, then the visible byline; placeholders never count."""
    candidates: list[tuple[list[str], str]] = [
        (texts(page, rule), "rules"),
        (_jsonld_people(data, data.article.get("author")), "json-ld"),
        ([data.first_meta("author", "article:author", "parsely-author", "dc.creator")], "meta"),
        (author_names(page)[:1], "wordpress"),
        (texts(page, _BYLINE), "byline"),
    ]
    for values, source in candidates:
        people = [p for v in values if v and (p := clean_author(v, site_names))]
        if people:
            if source == "json-ld":
                return ", ".join(dict.fromkeys(people)), source
            return people[0], source
    return None, ""


def find_image(
    page: PageIndex, data: Structured, container: etree._Element | None, base: str
) -> tuple[str | None, str]:
    """og:image, JSON-LD image, then the first real image in the content."""
    from .links import absolute

    image = data.article.get("image")
    image = data.resolve(image[0] if isinstance(image, list) and image else image)
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    candidates = [
        (data.first_meta("og:image", "og:image:url", "og:image:secure_url"), "og:image"),
        (image if isinstance(image, str) else "", "json-ld"),
        (data.first_meta("twitter:image", "twitter:image:src"), "twitter:image"),
    ]
    for value, source in candidates:
        if value and (url := absolute(value, base)):
            return url, source
    featured = [el for el in elements(page, _FEATURED) if not in_other_region(el)]
    scopes = [(el, "featured") for el in featured[:1]]
    if container is not None:
        scopes.append((container, "content"))
    for scope, source in scopes:
        for img in scope.iter("img"):
            url = absolute(_img_src(img), base)
            if url and not _NOT_PHOTO.search(url):
                return url, source
    return None, ""


def _img_src(img: etree._Element) -> str:
    src = img.get("data-src") or img.get("data-lazy-src") or img.get("src") or ""
    if (not src or src.startswith("data:")) and img.get("srcset"):
        src = (img.get("srcset") or "").split(",")[0].strip().split(" ")[0]
    return src
