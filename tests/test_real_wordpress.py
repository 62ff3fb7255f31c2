"""`newshub crawl` against a real WordPress (Debian's package), compared with what was seeded.

130 posts with authors, categories, tags, comments, edits and agency credits, plus pages and
attachment pages, on the block theme (twentytwentythree) and a classic theme (twentytwentyone):
every post archived exactly once, no page or attachment stored as an article, and each field
right on at least 98 % of posts. `.venv/bin/pytest -m slow tests/test_real_wordpress.py -s`
prints the accuracy table (README, "Real WordPress").
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow
from tests.newshub_process import newshub
from tests.wordpress_news import EXTRAS, news_posts, seed_spec
from tests.wordpress_site import BLOCK_THEME, CLASSIC_THEME, WordPress, wordpress_site
from tests.wordpress_truth import FIELDS, accuracy, table

RESULTS: dict[str, dict[str, float]] = {}


class Seeded:
    def __init__(self, site: WordPress) -> None:
        self.site = site
        posts = news_posts()
        self.ids = site.seed_news(seed_spec(posts), EXTRAS)
        self.truths = {self.ids["posts"][p["key"]]["link"]: p["truth"] for p in posts}
        self.others = [p["link"] for p in self.ids["pages"] + self.ids["attachments"]]


@pytest.fixture(scope="module")
def wordpress() -> Iterator[Seeded]:
    for site in wordpress_site():
        yield Seeded(site)


def _crawl(wp: Seeded, data: Path, database_url: str) -> dict[str, Any]:
    result = newshub(
        "crawl", "--url", wp.site.url + "/", "--name", "wordpress",
        "--concurrency", "8", "--delay", "0",
        data=data, database_url=database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = [row._asdict() for row in connection.execute(select(ArticleRow.__table__))]
    finally:
        engine.dispose()
    return {"rows": rows, "stdout": result.stdout}


def _check(wp: Seeded, run: str, rows: list[dict[str, Any]]) -> None:
    urls = Counter(row["url"] for row in rows)
    assert [u for u, n in urls.items() if n > 1] == [], "a post archived more than once"
    assert sorted(set(urls) - set(wp.truths)) == [], "rows that are no seeded post"
    assert sorted(set(wp.truths) - set(urls)) == [], "seeded posts not archived"
    assert not set(urls) & set(wp.others), "a page or attachment page stored as an article"
    scores, wrong = accuracy({row["url"]: row for row in rows}, wp.truths)
    RESULTS[run] = scores
    print(f"\nReal WordPress, {run}: {len(rows)} rows for {len(wp.truths)} posts")
    print(table({run: scores}))
    for name in FIELDS:
        assert scores[name] >= 0.98, f"{name} right on {scores[name]:.1%}: {wrong[name][:3]}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("theme", "discovery"),
    [(BLOCK_THEME, "sitemaps+REST on"), (CLASSIC_THEME, "sitemaps+REST off")],
)
def test_crawl_real_wordpress_sqlite(
    wordpress: Seeded, theme: str, discovery: str, tmp_path: Path
) -> None:
    """The classic run has core sitemaps and the REST API off: listings and feeds only."""
    wordpress.site.use_theme(theme)
    on = discovery.endswith("on")
    wordpress.site.set_features(sitemaps=on, rest=on)
    try:
        if not on:
            assert _status(wordpress.site.url + "/wp-sitemap.xml")[0] == 404
            assert _status(wordpress.site.url + "/wp-json/wp/v2/posts")[0] == 403
        crawled = _crawl(wordpress, tmp_path, f"sqlite:///{tmp_path / 'newshub.db'}")
    finally:
        wordpress.site.set_features()
    _check(wordpress, f"{theme}, {discovery}, SQLite", crawled["rows"])


@pytest.mark.slow
@pytest.mark.postgres
def test_crawl_real_wordpress_postgresql(
    wordpress: Seeded, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import fresh_postgres_database

    wordpress.site.use_theme(BLOCK_THEME)
    crawled = _crawl(wordpress, tmp_path, fresh_postgres_database(request))
    _check(wordpress, f"{BLOCK_THEME}, sitemaps+REST on, PostgreSQL", crawled["rows"])


def _status(url: str) -> tuple[int, str]:
    """Status and Location of one request, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


def test_what_wordpress_does_to_a_crawler(wordpress: Seeded) -> None:
    """Shortlinks and slash-less URLs redirect to the permalink; unknown paths are 404."""
    post_id, link = next(
        (p["id"], p["link"]) for p in wordpress.ids["posts"].values() if p["link"].isascii()
    )
    assert _status(f"{wordpress.site.url}/?p={post_id}") == (301, link)
    assert _status(link.rstrip("/")) == (301, link)
    assert _status(f"{wordpress.site.url}/no-such-story-here/")[0] == 404
    assert _status(f"{wordpress.site.url}/feed/")[0] == 200
    assert _status(f"{wordpress.site.url}/page/2/")[0] == 200
