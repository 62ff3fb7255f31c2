"""The demo news hub: generated ground truth (``DemoArticle``) plus an HTTP-less renderer.

``DemoHub`` is both the target of ``newshub demo`` and the test fixture with known answers: every
article's true title, body, dates, author, category, tags and agency are kept here, and
``render()`` turns a request target into the exact bytes a WordPress-style news hub would send.
Nothing here touches the network; ``crawler.demo.server.DemoServer`` puts it behind a socket.

Conventions the truth follows (so extraction tests can compare exactly):

- ``articles`` is ordered by id, ascending; ids grow with ``published_at`` (id 1 is the oldest).
- Dates are minute-precise UTC; pages show them in the site's zone (+03:30, Asia/Tehran).
- ``path`` uses the *local* publication date, like WordPress permalinks.
- ``blocks`` is the article text only: no lead, ads, related links, end marker or agency line.
- ``modified_at`` is ``None`` unless the article was edited; pages then carry no modified date.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote

from crawler.demo import assets, feeds, generate, pages, rest, themes
from crawler.demo.text import CATEGORIES, slugify
from crawler.demo.web import SITE_TZ, DemoResponse, finish, redirect

__all__ = ["DEFAULT_START", "SITE_TZ", "DemoArticle", "DemoHub", "DemoResponse"]

#: Default "now" of a hub, fixed so that pages are reproducible.
DEFAULT_START = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoArticle:
    """Ground truth for one article, exactly as its page shows it."""

    id: int
    slug: str
    path: str
    title: str
    lead: str
    blocks: tuple[str, ...]
    subheadings: tuple[str, ...]
    author: str
    category: str
    category_slug: str
    tags: tuple[str, ...]
    agency: str
    agency_line: str
    published_at: datetime
    modified_at: datetime | None
    language: str
    theme: str
    has_jsonld: bool
    has_opengraph: bool
    charset: str
    image: str
    related: tuple[int, ...]
    # Additions: how the attribution is shown ("translated": a note after the body; "source" and
    # "quoting": the last paragraph inside the body container) and whether "end of message/"
    # closes the body container.
    agency_style: str = "translated"
    end_marker: bool = False

    @property
    def body(self) -> str:
        """Body text as an extractor should return it: blocks separated by blank lines."""
        return "\n\n".join(self.blocks)

    @property
    def author_slug(self) -> str:
        return slugify(self.author)

    @property
    def tag_slugs(self) -> tuple[str, ...]:
        return tuple(slugify(t) for t in self.tags)

    @property
    def word_count(self) -> int:
        return sum(len(b.split()) for b in self.blocks)


def _article(
    seed: int, id: int, published: datetime, limit: datetime, site_name: str, used: set[str]
) -> DemoArticle:
    return DemoArticle(**generate.article_fields(seed, id, published, limit, site_name, used))


class DemoHub:
    """A deterministic WordPress-style news hub: truth in ``articles``, pages from ``render``.

    Same (articles, seed, site_name, start) gives byte-identical pages. ``articles`` is ordered by
    id ascending (oldest first); ``latest`` gives newest first.
    """

    def __init__(
        self,
        articles: int = 60,
        *,
        seed: int = 1,
        site_name: str = "Webangah News Hub",
        start: datetime | None = None,
        rest_api: str = "",
        sitemap_only: bool = False,
        sitemap_lastmod: str = "modified",
    ) -> None:
        """``rest_api``: "" (off), "pretty" (``/wp-json/``) or "plain" (``/?rest_route=/``).
        ``sitemap_only``: older articles reachable only through the sitemaps (listings not
        paginated, no category/tag/author archives, no related links).
        ``sitemap_lastmod``: "modified" (true), "published" (edits never move it), "none"."""
        if rest_api not in ("", "pretty", "plain"):
            raise ValueError("rest_api must be '', 'pretty' or 'plain'")
        if sitemap_lastmod not in ("modified", "published", "none"):
            raise ValueError("sitemap_lastmod must be 'modified', 'published' or 'none'")
        self.rest_api = rest_api
        self.sitemap_only = sitemap_only
        self.sitemap_lastmod = sitemap_lastmod
        if start is None:
            start = DEFAULT_START
        elif start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        start = start.astimezone(UTC).replace(second=0, microsecond=0)
        rng = random.Random(f"newshub-demo-dates:{seed}")
        span = max(21 * 1440, articles * 45)
        offsets = sorted(rng.sample(range(1, span), articles), reverse=True)
        used: set[str] = set()
        arts = [
            _article(seed, i + 1, start - timedelta(minutes=off), start, site_name, used)
            for i, off in enumerate(offsets)
        ]
        self._setup(arts, seed=seed, site_name=site_name, start=start, used=used)

    def _setup(
        self, arts: list[DemoArticle], *, seed: int, site_name: str, start: datetime, used: set
    ) -> None:
        if self.sitemap_only:  # no related links lead to older articles
            arts = [dataclasses.replace(a, related=()) for a in arts]
        self.seed = seed
        self.site_name = site_name
        self.start = start
        self.articles: list[DemoArticle] = arts
        self._used = used
        self._by_id = {a.id: a for a in arts}
        self._by_path = {a.path: a for a in arts}
        self.latest: list[DemoArticle] = sorted(arts, key=lambda a: a.published_at, reverse=True)
        self.categories: dict[str, str] = {slugify(c): c for c in CATEGORIES}
        self.tags: dict[str, str] = {}
        self.authors: dict[str, str] = {}
        self._lists: dict[tuple[str, str], list[DemoArticle]] = {}
        for a in self.latest:
            self._lists.setdefault(("category", a.category_slug), []).append(a)
            self._lists.setdefault(("author", a.author_slug), []).append(a)
            self.authors[a.author_slug] = a.author
            for tag, tslug in zip(a.tags, a.tag_slugs, strict=True):
                self.tags.setdefault(tslug, tag)
                self._lists.setdefault(("tag", tslug), []).append(a)
        # (base_url, page key) -> built response; (base_url, page key, gzip) -> as sent.
        self._cache: dict[tuple, DemoResponse] = {}
        # Later states (crawler.demo.changes): old path -> new path answered with a 301, and
        # language editions (separate posts, reached only through hreflang) by their path.
        self.redirects: dict[str, str] = {}
        self.editions: dict[str, DemoArticle] = {}
        self.alternates: dict[int, dict[str, str]] = {}

    def exists(self, id: int) -> bool:
        """Whether an article with this id is published (not removed)."""
        return id in self._by_id

    def __len__(self) -> int:
        return len(self.articles)

    def article(self, id: int) -> DemoArticle:
        """The article with this id (KeyError if none)."""
        return self._by_id[id]

    def by_path(self, path: str) -> DemoArticle | None:
        """The article whose permalink path is ``path``, if any."""
        return self._by_path.get(path)

    def listing(self, kind: str, slug: str) -> list[DemoArticle]:
        """Articles of a category/tag/author archive, newest first."""
        return self._lists.get((kind, slug), [])

    # -- later states ----------------------------------------------------------------------
    def mutated(
        self, *, edit_fraction: float = 0.1, new_articles: int = 5, seed: int = 2
    ) -> DemoHub:
        """The same site a little later: ``round(edit_fraction * len)`` articles get one
        paragraph rewritten and a ``modified_at`` after the old ``start``; ``new_articles``
        newer ones are appended. Every other article keeps byte-identical pages."""
        if not 0 <= edit_fraction <= 1 or new_articles < 0:
            raise ValueError("edit_fraction must be within 0..1 and new_articles >= 0")
        rng = random.Random(f"newshub-demo-mutate:{self.seed}:{seed}:{len(self.articles)}")
        span = max(1440, new_articles * 2)
        new_start = self.start + timedelta(minutes=span)
        edited = set(rng.sample(range(len(self.articles)), round(edit_fraction * len(self))))
        arts = list(self.articles)
        for i in sorted(edited):
            key = f"newshub-demo-edit:{self.seed}:{seed}:{self.start.isoformat()}:{arts[i].id}"
            arts[i] = self._edit(arts[i], random.Random(key))
        used = set(self._used)
        first = arts[-1].id + 1 if arts else 1
        for k, off in enumerate(sorted(rng.sample(range(1, span), new_articles))):
            published = self.start + timedelta(minutes=off)
            arts.append(_article(self.seed, first + k, published, new_start, self.site_name, used))
        return self.rebuilt(arts, start=new_start, used=used)

    def rebuilt(
        self, arts: list[DemoArticle], *, start: datetime, used: set[str] | None = None
    ) -> DemoHub:
        """A hub with this one's options (REST API, sitemap-only, lastmod) over `arts`."""
        hub = DemoHub.__new__(DemoHub)
        hub.rest_api = self.rest_api
        hub.sitemap_only = self.sitemap_only
        hub.sitemap_lastmod = self.sitemap_lastmod
        used = set(self._used) if used is None else used
        hub._setup(arts, seed=self.seed, site_name=self.site_name, start=start, used=used)
        return hub

    def _edit(self, art: DemoArticle, rng: random.Random) -> DemoArticle:
        blocks = generate.edited_blocks(art.blocks, art.subheadings, art.category, rng)
        modified = self.start + timedelta(minutes=rng.randint(1, 1439))
        return dataclasses.replace(art, blocks=blocks, modified_at=modified)

    # -- HTTP ------------------------------------------------------------------------------
    def render(self, target: str, *, base_url: str, accept_gzip: bool = True) -> DemoResponse:
        """The response to ``GET target`` (path plus optional query) on a site at ``base_url``.

        Pages are rendered on first use and cached per (base_url, page, gzip)."""
        base = base_url.rstrip("/")
        target = target.split("#", 1)[0]
        if target.startswith(("http://", "https://")):
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        path, _, query = target.partition("?")
        path = unquote(path) or "/"
        key, build = self._route(path, parse_qs(query))
        if self.rest_api:
            build = rest.announcing(self, build)
        if key is None:
            return finish(build(base), accept_gzip)
        cache_key = (base, key, accept_gzip)
        resp = self._cache.get(cache_key)
        if resp is None:
            raw = self._cache.get((base, key))
            if raw is None:
                raw = self._cache[(base, key)] = build(base)
            resp = self._cache[cache_key] = finish(raw, accept_gzip)
        return resp

    def _route(self, path: str, q: dict[str, list[str]]):
        """(cache key or None, builder(base_url) -> DemoResponse) for a path and query."""
        if self.rest_api == "pretty" and path.startswith("/wp-json/"):
            return None, lambda b: rest.render(self, b, path[len("/wp-json") :], q)
        if self.rest_api == "plain" and path == "/" and "rest_route" in q:
            return None, lambda b: rest.render(self, b, q["rest_route"][0], q)
        if path == "/":
            if "p" in q:
                return None, lambda b: self._shortlink(q["p"][0], b)
            if "s" in q:
                return None, lambda b: pages.search(self, b, q["s"][0])
            return ("list", "home", "", 1), lambda b: pages.listing(self, b, "home", "", 1)
        if path in self.editions:
            edition = self.editions[path]
            return ("article", edition.id), lambda b: themes.article_page(self, edition, b)
        m = _ARTICLE.match(path)
        if m:
            art = self._by_path.get(path.rstrip("/") + "/")
            if art is None and path in self.redirects:
                return None, lambda b: redirect(b + self.redirects[path], 301)
            if art is None:
                return None, lambda b: pages.not_found(self, b)
            if not path.endswith("/"):
                return None, lambda b: redirect(b + art.path, 301)
            if "share" in q:
                return None, lambda b: pages.share(self, art, b, q["share"][0])
            return ("article", art.id), lambda b: themes.article_page(self, art, b)
        m = _LISTING.match(path)
        if m:
            kind, slug, page = m["kind"] or "home", m["slug"] or "", int(m["page"] or 1)
            if m["page"] == "1" or not path.endswith("/"):
                return None, lambda b: redirect(b + pages.list_url(kind, slug, page), 301)
            key = ("list", kind, slug, page)
            return key, lambda b: pages.listing(self, b, kind, slug, page)
        m = _ARCHIVES.match(path)
        if m:
            return None, lambda b: redirect(f"{b}/?p={m[1]}", 301)
        if path == "/wp-login.php" or path.startswith("/wp-admin"):
            return None, lambda b: pages.login(self, b)
        if path.startswith("/wp-content/uploads/") and path.endswith(".png"):
            return ("image",), lambda b: assets.image()
        if path.startswith(("/wp-content/themes/", "/wp-includes/")) and assets.asset(path):
            return None, lambda b: assets.asset(path)
        if path in pages.STATIC:
            return ("static", path), lambda b: pages.static(self, b, path)
        if path == "/sitemap.xml":
            return None, lambda b: redirect(b + "/sitemap_index.xml", 301)
        if path in feeds.ROUTES or _POST_SITEMAP.match(path):
            return ("feed", path), lambda b: feeds.render(self, b, path)
        return None, lambda b: pages.not_found(self, b)

    def _shortlink(self, raw: str, base: str) -> DemoResponse:
        art = self._by_id.get(int(raw)) if raw.isdigit() else None
        if art is None:
            return pages.not_found(self, base)
        return redirect(base + art.path, 301)


_ARTICLE = re.compile(r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/?$")
_LISTING = re.compile(
    r"^(?:/(?P<kind>category|tag|author)/(?P<slug>[a-z0-9-]+))?(?:/page/(?P<page>\d+))?/?$"
)
_ARCHIVES = re.compile(r"^/archives/(\d+)/?$")
_POST_SITEMAP = re.compile(r"^/post-sitemap\d*\.xml$")
