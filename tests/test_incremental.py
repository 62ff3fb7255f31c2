"""Recrawls cost what changed: real `newshub crawl` processes against a demo hub that changes.

Request counts come from the demo server's log. "Pages" are listings, sitemaps, feeds,
robots.txt and redirects; requisites (CSS, JS, images) are counted apart in the messages, and
with the rest in the budget: a recrawl must not fetch again what an earlier run archived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoArticle, DemoHub
from newshub_archive.orphans import restore_orphans
from newshub_archive.verify import verify
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, ArticleVersion, Capture, CrawlRun


def newshub_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def environment(data: Path, database_url: str) -> dict[str, str]:
    return {**os.environ, "NEWSHUB_DATA_DIR": str(data), "NEWSHUB_DATABASE_URL": database_url}


def crawl_args(server: DemoServer, *extra: str) -> list[str]:
    return ["crawl", "--url", server.url + "/", "--name", "hub", *extra]


def crawl(
    server: DemoServer, data: Path, url: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        newshub_command(*crawl_args(server, "--concurrency", "16", "--delay", "0", *extra)),
        env=environment(data, url),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def request_kinds(server: DemoServer, hub: DemoHub) -> Counter[str]:
    """Requests by kind: article, requisite and page; total() is every request logged."""
    paths = {article.path for article in hub.articles}
    kinds = _Kinds()
    for target in server.targets():
        path = target.split("?", 1)[0]
        if path in paths:
            kinds["article"] += 1
            continue
        if path.startswith(("/wp-content/", "/wp-includes/")):
            kinds["requisite"] += 1
            continue
        kinds["page"] += 1  # and one of:
        if 300 <= hub.render(target, base_url=server.url).status < 400:
            kinds["redirect"] += 1
        elif path == "/robots.txt":
            kinds["robots"] += 1
        elif path.endswith(".xml"):
            kinds["sitemap"] += 1
        elif "/feed" in path:
            kinds["feed"] += 1
        else:
            kinds["listing"] += 1
    return kinds


class _Kinds(Counter[str]):
    """Page requests are counted twice, as "page" and by their kind (listing, feed, ...)."""

    def total(self) -> int:
        return self["article"] + self["requisite"] + self["page"]


def count(engine: Engine, table: type, *where: object) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
@pytest.mark.slow
def test_a_recrawl_fetches_what_changed_and_little_else(tmp_path: Path, database_url: str) -> None:
    # The site lives in our time: its edits come after the first crawl, as they would.
    hub = DemoHub(200, seed=11, start=datetime.now(UTC) + timedelta(minutes=5))
    url = database_url
    with DemoServer(hub) as server:
        crawl(server, tmp_path, url)
        first = request_kinds(server, hub)
        later = hub.mutated(edit_fraction=0.1, new_articles=5)
        edited = [a for a in later.articles[: len(hub)] if a != hub.article(a.id)]
        new = later.articles[len(hub) :]
        server.hub = later
        server.reset_log()
        second_run = crawl(server, tmp_path, url)
        second = request_kinds(server, later)
        requisites = {
            t for t in server.targets() if t.startswith(("/wp-content/", "/wp-includes/"))
        }
        conditional = [h for _, _, h in server.requests if "If-None-Match" in h]
        base = server.url

    print(f"\nfirst crawl:  {first.total()} requests {dict(first)}")
    print(f"second crawl: {second.total()} requests {dict(second)}")
    assert len(edited) == 20 and len(new) == 5
    budget = (len(new) + len(edited) + second["page"]) * 1.2
    # Every request counts, requisites included.
    assert second.total() <= budget, (second.total(), dict(second), budget)
    # Archived requisites are not fetched again; the new articles' own images are.
    assert requisites == {article.image for article in new}, requisites
    assert first["article"] == 200 and second["article"] <= len(new) + len(edited) + 4
    assert conditional, "requests for archived articles carry their validators"
    assert "articles      5 new, 20 updated, 180 unchanged" in second_run.stdout

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = {r.url: r for r in connection.execute(select(ArticleRow))}
        assert len(rows) == 205 and {base + a.path for a in new} <= rows.keys()
        for article in edited:
            row = rows[base + article.path]
            assert _edited_block(hub.article(article.id), article) in (row.body or "")
            versions = count(engine, ArticleVersion, ArticleVersion.article_id == row.id)
            assert versions == 2
    finally:
        engine.dispose()


def _edited_block(before: DemoArticle, after: DemoArticle) -> str:
    return next(block for block in after.blocks if block not in before.blocks)


@pytest.mark.slow
def test_unchanged_articles_cost_a_304_each(tmp_path: Path) -> None:
    """Articles not looked at for two months are rechecked with conditional GETs."""
    hub = DemoHub(30, seed=5)
    url = f"sqlite:///{tmp_path / 'newshub.db'}"
    engine = make_engine(url)
    try:
        with DemoServer(hub) as server:
            crawl(server, tmp_path, url)
            with engine.begin() as connection:
                for row in connection.execute(select(ArticleRow.id, ArticleRow.last_seen)).all():
                    connection.execute(
                        update(ArticleRow)
                        .where(ArticleRow.id == row.id)
                        .values(last_seen=row.last_seen - timedelta(days=60))
                    )
            server.reset_log()
            before = datetime.now(UTC)
            result = crawl(server, tmp_path, url)
            articles = {a.path for a in hub.articles}
            asked = [h for _, t, h in server.requests if t in articles]
        assert len(asked) == 30 and all("If-None-Match" in h for h in asked)
        assert "articles      0 new, 0 updated, 30 unchanged" in result.stdout
        assert "30 not modified (304)" in result.stdout
        with engine.connect() as connection:
            run = connection.execute(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
            last_seen = connection.execute(select(func.min(ArticleRow.last_seen))).scalar()
        assert run is not None and "newshub/pages/article" not in run.stats  # no extraction
        assert last_seen >= before
        assert count(engine, Capture, Capture.status == 304, Capture.run_id == run.id) == 30
        assert count(engine, ArticleVersion) == 30
    finally:
        engine.dispose()


@pytest.mark.slow
def test_killed_crawl_is_marked_interrupted_and_the_next_run_completes(tmp_path: Path) -> None:
    hub = DemoHub(80, seed=7)
    url = f"sqlite:///{tmp_path / 'newshub.db'}"
    engine = make_engine(url)
    try:
        with DemoServer(hub) as server:
            slow = subprocess.Popen(
                newshub_command(*crawl_args(server, "--concurrency", "1", "--delay", "0.05")),
                env=environment(tmp_path, url),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and slow.poll() is None:
                    if _articles(engine) >= 10:
                        break
                    time.sleep(0.2)
                assert slow.poll() is None, "the slow crawl ended before it could be killed"
            finally:
                os.kill(slow.pid, signal.SIGKILL)
                slow.wait()
            assert 10 <= _articles(engine) < 80
            result = crawl(server, tmp_path, url)
        assert "articles      " in result.stdout
        with engine.connect() as connection:
            runs = connection.execute(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [r.status for r in runs] == ["interrupted", "finished"]
        assert f"found by run {runs[1].id}" in (runs[0].error or "")
        assert _articles(engine) == 80
        assert not list((tmp_path / "warcs").glob("*.open"))
        # The killed run's file was recovered: every capture row resolves to a whole record.
        # Records whose rows were still queued when the process died are orphans: restored.
        report = verify(engine, tmp_path / "warcs", deep=True)
        assert all("no capture row" in p.message for p in report.problems), report.problems
        restore_orphans(engine, tmp_path / "warcs")
        report = verify(engine, tmp_path / "warcs", deep=True)
        assert report.ok, report.problems
        assert report.captures >= 80
    finally:
        engine.dispose()


def _articles(engine: Engine) -> int:
    try:
        return count(engine, ArticleRow)
    except Exception:  # the schema is not there yet
        return 0
