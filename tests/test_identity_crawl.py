"""End to end on the demo hub: moved articles stay one row, removed ones are history, editions
are linked, from the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from crawler.demo.changes import moved, removed, restored, with_editions
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleEvent, ArticleRow, ArticleVersion
from tests.test_incremental import crawl, environment, newshub_command


def rows(engine: Engine) -> dict[str, ArticleRow]:
    with engine.connect() as connection:
        return {r.url: r for r in connection.execute(select(ArticleRow))}


def events(engine: Engine, kind: str) -> list[ArticleEvent]:
    with engine.connect() as connection:
        query = select(ArticleEvent).where(ArticleEvent.kind == kind).order_by(ArticleEvent.id)
        return list(connection.execute(query))


def make_due(engine: Engine, url: str) -> None:
    """As if the article had not been looked at for two months: due for a recheck."""
    with engine.begin() as connection:
        seen = connection.execute(select(ArticleRow.last_seen).where(ArticleRow.url == url))
        earlier = seen.scalar_one() - timedelta(days=60)
        connection.execute(
            update(ArticleRow).where(ArticleRow.url == url).values(last_seen=earlier)
        )


def newshub(data: Path, url: str, *args: str) -> str:
    result = subprocess.run(
        newshub_command(*args), env=environment(data, url), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
@pytest.mark.slow
def test_moves_removals_and_editions(tmp_path: Path, database_url: str) -> None:
    hub = with_editions(DemoHub(40, seed=5), [3, 4])
    engine = make_engine(database_url)
    try:
        with DemoServer(hub) as server:
            base = server.url
            crawl(server, tmp_path, database_url)
            first = rows(engine)
            # Every edition archived (reached only through hreflang), linked to its original.
            assert len(first) == 42
            for i in (3, 4):
                original, edition = (
                    first[base + hub.article(i).path],
                    first[f"{base}/de{hub.article(i).path}"],
                )
                assert original.translation_group == edition.translation_group is not None
                assert edition.language == "de" and original.post_id == str(i)

            # Five slugs change (three with a 301 from the old permalink), one article is deleted.
            later = moved(moved(hub, [10, 11, 12], redirect=True), [13, 14], redirect=False)
            later = removed(later, [20])
            make_due(engine, base + hub.article(20).path)
            server.hub = later
            summary = crawl(server, tmp_path, database_url).stdout
            assert "identity      5 moved, 1 removed by the site, 0 back" in summary
            second = rows(engine)
            assert len(second) == 42, "a moved article is never a new row"
            moves = events(engine, "moved")
            assert sorted((m.old_url, m.new_url) for m in moves) == sorted(
                (base + hub.article(i).path, base + later.article(i).path) for i in range(10, 15)
            )
            for i in range(10, 15):
                assert (
                    second[base + later.article(i).path].id == first[base + hub.article(i).path].id
                )
            gone = second[base + hub.article(20).path]
            assert gone.removed_at is not None
            with engine.connect() as connection:
                versions = connection.execute(
                    select(func.count()).where(ArticleVersion.article_id == gone.id)
                ).scalar_one()
            assert versions == 1, "a removed article keeps its versions"
            shown = json.loads(
                newshub(tmp_path, database_url, "show", str(gone.id), "--format", "json")
            )
            assert shown["article"]["removed_at"] and shown["history"][0]["kind"] == "removed"
            old = newshub(tmp_path, database_url, "show", base + hub.article(10).path)
            assert later.article(10).path in old and "moved" in old
            stats = json.loads(newshub(tmp_path, database_url, "stats", "--format", "json"))
            [hub_stats] = stats["sources"]
            assert (hub_stats["removed"], hub_stats["moved"], hub_stats["with_editions"]) == (
                1,
                5,
                4,
            )

            # It comes back.
            make_due(engine, gone.url)
            server.hub = restored(later, hub, [20])
            summary = crawl(server, tmp_path, database_url).stdout
            assert "identity      0 moved, 0 removed by the site, 1 back" in summary
            assert rows(engine)[gone.url].removed_at is None
            assert [e.new_url for e in events(engine, "returned")] == [gone.url]
            exported = [
                json.loads(line)
                for line in newshub(
                    tmp_path, database_url, "export", "--source", "hub"
                ).splitlines()
            ]
            assert {e["url"]: e["post_id"] for e in exported}[gone.url] == "20"
    finally:
        engine.dispose()
