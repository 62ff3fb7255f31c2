"""Later states of a demo hub that test article identity: slug changes, deletions, editions.

Each function returns a new ``DemoHub`` (the argument is left as it was), so a test can swap
``DemoServer.hub`` between crawls:

- ``moved``: articles get a new slug (and so a new permalink) but keep their post id, as when
  an editor renames a WordPress post; with ``redirect`` the old permalink answers a 301 to the
  new one (WordPress's `_wp_old_slug` redirect), else a 404.
- ``removed``: articles are deleted: gone from sitemaps, feeds, listings and related links, and
  their permalinks answer 404.
- ``with_editions``: articles get a translation in another language, a separate post (its own
  id) at ``/LANG/<permalink>``, linked both ways by WPML's hreflang markup and nowhere else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from crawler.demo.site import DemoArticle, DemoHub

# Edition post ids: the original's id plus this (WPML gives a translation its own post).
EDITION_ID_OFFSET = 100_000


def _rebuilt(hub: DemoHub, articles: list[DemoArticle]) -> DemoHub:
    later = hub.rebuilt(articles, start=hub.start)
    later.redirects = dict(hub.redirects)
    later.editions = dict(hub.editions)
    later.alternates = {k: dict(v) for k, v in hub.alternates.items()}
    return later


def moved(hub: DemoHub, ids: Iterable[int], *, redirect: bool = True) -> DemoHub:
    """The hub after the articles `ids` changed slug (same post id, new permalink)."""
    wanted = set(ids)
    articles, redirects = [], {}
    for art in hub.articles:
        if art.id in wanted:
            slug = f"{art.slug}-updated"
            path = art.path.removesuffix(f"{art.slug}/") + f"{slug}/"
            redirects[art.path] = path
            art = dataclasses.replace(art, slug=slug, path=path)
        articles.append(art)
    later = _rebuilt(hub, articles)
    if redirect:
        later.redirects.update(redirects)
    return later


def removed(hub: DemoHub, ids: Iterable[int]) -> DemoHub:
    """The hub after the articles `ids` were deleted."""
    gone = set(ids)
    return _rebuilt(hub, [art for art in hub.articles if art.id not in gone])


def restored(hub: DemoHub, original: DemoHub, ids: Iterable[int]) -> DemoHub:
    """The hub with the articles `ids` of `original` published again."""
    back = {i: original.article(i) for i in ids}
    articles = sorted([*hub.articles, *back.values()], key=lambda a: a.id)
    return _rebuilt(hub, articles)


def with_editions(hub: DemoHub, ids: Iterable[int], lang: str = "de") -> DemoHub:
    """The hub with a `lang` translation of each article in `ids`."""
    later = _rebuilt(hub, list(hub.articles))
    for i in ids:
        art = hub.article(i)
        edition = dataclasses.replace(
            art,
            id=art.id + EDITION_ID_OFFSET,
            path=f"/{lang}{art.path}",
            title=f"{art.title} ({lang})",
            language=lang,
        )
        later.editions[edition.path] = edition
        pair = {art.language: art.path, lang: edition.path}
        later.alternates[art.id] = later.alternates[edition.id] = pair
    return later
