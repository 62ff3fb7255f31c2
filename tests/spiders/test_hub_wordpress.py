"""WordPress discovery end to end: real `newshub crawl` processes against the demo hub.

A hub whose older articles are only in its (Yoast SEO) sitemaps is archived completely; with the
REST API on, a recrawl after 10 % of the posts changed (by `modified_gmt`, the sitemap's
lastmod absent or wrong) fetches exactly those posts plus a fixed number of discovery requests.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow
from tests.test_incremental import crawl, environment, newshub_command

# Discovery requests of a REST-API recrawl of the demo hub (not articles, not requisites):
# home, robots.txt, sitemap index, post sitemap, category and news sitemaps, RSS and Atom feeds,
# ONE page of the REST listing, and the home page's menu links to its category archives.
# Stated in the README ("Discovery"); it does not grow with the number of posts changed as
# long as they fit on one REST page (100).
REST_RECRAWL_DISCOVERY = 17
# With listings on: also the first page of each category, tag and author archive the home page
# and the category sitemap link to, and two old `/archives/N/` permalinks the home page shows.
REST_RECRAWL_DISCOVERY_LISTINGS = 82


def crawl_configured(server: DemoServer, data: Path, url: str, discovery: str) -> None:
    """`newshub crawl hub --config newshub.toml`, the source with `discovery = {...}`."""
    config = data / "newshub.toml"
    config.write_text(
        f'[[source]]\nname = "hub"\nhome = "{server.url}/"\ndiscovery = {{ {discovery} }}\n'
    )
    args = ["--config", str(config), "crawl", "hub", "--concurrency", "16", "--delay", "0"]
    result = subprocess.run(
        newshub_command(*args), env=environment(data, url), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]


def article_rows(url: str) -> dict[str, ArticleRow]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {row.url: row for row in connection.execute(select(ArticleRow))}
    finally:
        engine.dispose()


def _stat(data: Path, name: str) -> str:
    """A stat of the latest run's log (`'newshub/...': N,`)."""
    log = max((data / "logs").glob("*.log"), key=lambda p: p.stat().st_mtime)
    match = re.search(rf"'{re.escape(name)}': (\d+)", log.read_text())
    return match[1] if match else "0"


def rest_records(data: Path) -> list[str]:
    """Target URIs of the WARC response records of REST listing pages."""
    found = []
    for path in sorted((data / "warcs").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                target = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type == "response" and "/wp-json/wp/v2/posts" in target:
                    found.append(target)
    return found


def kinds(server: DemoServer, hub: DemoHub) -> Counter[str]:
    """Requests by kind: article (by path), rest, requisite, other discovery ("page")."""
    paths = {article.path for article in hub.articles}
    counts: Counter[str] = Counter()
    for target in server.targets():
        path = target.split("?", 1)[0]
        if path in paths:
            counts["article"] += 1
        elif path.startswith(("/wp-content/", "/wp-includes/")):
            counts["requisite"] += 1
        elif path.startswith("/wp-json/") or "rest_route=" in target:
            counts["rest"] += 1
            counts["page"] += 1
        else:
            counts["page"] += 1
    return counts


@pytest.mark.slow
def test_sitemap_only_hub_is_archived_completely(tmp_path: Path, database_url: str) -> None:
    hub = DemoHub(150, seed=21, sitemap_only=True)
    with DemoServer(hub) as server:
        crawl(server, tmp_path, database_url)
        requested = kinds(server, hub)
        base = server.url
    rows = article_rows(database_url)
    assert set(rows) == {base + a.path for a in hub.articles}, len(rows)
    assert requested["article"] == 150
    # Every row knows the raw lastmod its sitemap gave, for the next run to compare.
    assert all(row.source_lastmod for row in rows.values())


@pytest.mark.slow
def test_sitemaps_switched_off_per_source(tmp_path: Path) -> None:
    """`discovery = { sitemaps = false }`: the same hub yields only what pages and feeds show."""
    hub = DemoHub(150, seed=21, sitemap_only=True)
    url = f"sqlite:///{tmp_path / 'newshub.db'}"
    with DemoServer(hub) as server:
        crawl_configured(server, tmp_path, url, "sitemaps = false, rest_api = false")
        targets = server.targets()
    # (The footer's link to /sitemap_index.xml is fetched as a page; no sitemap is read.)
    assert not [t for t in targets if "post-sitemap" in t or "news-sitemap" in t], targets
    # The feeds' 20 latest (the home page shows 10 of them) and the two oldest posts, which
    # the home page links to by their old `/archives/N/` permalinks.
    shown = {a.path for a in hub.latest[:20]} | {hub.article(1).path, hub.article(2).path}
    assert {urlsplit(u).path for u in article_rows(url)} == shown


@pytest.mark.parametrize(
    ("sitemap_lastmod", "listings"), [("none", False), ("published", True)], ids=["bare", "wrong"]
)
@pytest.mark.slow
def test_rest_recrawl_fetches_exactly_the_changed_posts(
    tmp_path: Path, database_url: str, sitemap_lastmod: str, listings: bool
) -> None:
    """Sitemap lastmod absent (and listings off), or wrong: stuck at the publication date."""
    discovery = "listings = true" if listings else "listings = false"
    # The site lives in our time: its edits come after the first crawl, as they would.
    start = datetime.now(UTC) + timedelta(minutes=5)
    hub = DemoHub(200, seed=11, start=start, rest_api="pretty", sitemap_lastmod=sitemap_lastmod)
    with DemoServer(hub) as server:
        crawl_configured(server, tmp_path, database_url, discovery)
        first = kinds(server, hub)
        later = hub.mutated(edit_fraction=0.1, new_articles=0)
        edited = {later.article(a.id).path for a in hub.articles if later.article(a.id) != a}
        server.hub = later
        server.reset_log()
        crawl_configured(server, tmp_path, database_url, discovery)
        second = kinds(server, later)
        paths = {a.path for a in hub.articles}
        full = {t for _, t, h in server.requests if t in paths and "If-None-Match" not in h}
        conditional = {t for _, t, h in server.requests if t in paths and "If-None-Match" in h}
        not_modified = int(_stat(tmp_path, "newshub/recrawl/not_modified"))
        base = server.url

    print(f"\nfirst crawl:  {dict(first)}\nsecond crawl: {dict(second)}")
    assert first["article"] == 200 and first["rest"] == 2  # 200 posts, 100 per page
    assert len(edited) == 20
    # The changed posts, and only they, come back in full (with validators, answered 200);
    # an archived post reached through an old `/archives/N/` permalink redirect (which no
    # change signal covers) costs a 304.
    assert full == set(), full
    changed_fetched = conditional - edited
    assert edited <= conditional and len(changed_fetched) == not_modified, changed_fetched
    assert second["article"] == 20 + not_modified and not_modified <= 2
    assert second["rest"] == 1
    expected = REST_RECRAWL_DISCOVERY_LISTINGS if listings else REST_RECRAWL_DISCOVERY
    assert second["page"] == expected, dict(second)
    assert second["requisite"] == 0
    # The REST listing is archived like every response.
    assert len(rest_records(tmp_path)) == 3, rest_records(tmp_path)  # 2 + 1 listing pages
    rows = article_rows(database_url)
    for article in later.articles:
        row = rows[base + article.path]
        assert row.source_modified == (article.modified_at or article.published_at).strftime(
            "%Y-%m-%dT%H:%M:%S"
        )
