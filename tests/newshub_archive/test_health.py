"""`newshub health`: exit 0 on a healthy archive, 1 with one line per problem otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, update

from crawler.cli import main
from crawler.config import Source
from newshub_archive.health import health
from pipelines.db.models import CrawlRun
from pipelines.db.runs import ensure_source, finish_run, start_run

CONFIG = """
[[source]]
name = "hub"
home = "http://hub.test/"
schedule = "every 1h"

[[source]]
name = "manual"
home = "http://manual.test/"
"""


def add_run(
    engine: Engine, source: str, status: str, hours_ago: float, new: int = 20, **stats: int
) -> int:
    source_id = ensure_source(engine, Source(source, f"http://{source}.test/"))
    run, _ = start_run(engine, source_id)
    finish_run(
        engine,
        run,
        status=status,
        counts={"new": new, "pages": new + 5},
        stats=stats,
        error=None if status == "finished" else "cannot reach http://hub.test/",
    )
    started = datetime.now(UTC) - timedelta(hours=hours_ago)
    with engine.begin() as connection:
        connection.execute(update(CrawlRun).where(CrawlRun.id == run).values(started_at=started))
    return run


@pytest.fixture
def archive(engine: Engine, tmp_path: Path) -> tuple[Engine, dict[str, str]]:
    config = tmp_path / "newshub.toml"
    config.write_text(CONFIG)
    env = {
        "NEWSHUB_DATA_DIR": str(tmp_path / "data"),
        "NEWSHUB_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "NEWSHUB_CONFIG": str(config),
    }
    for hours in (5, 4, 3, 0.5):
        add_run(engine, "hub", "finished", hours_ago=hours)
    add_run(engine, "manual", "finished", hours_ago=24 * 30)  # no schedule: never overdue
    return engine, env


def run_health(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["health", *args], env=env)


def test_a_healthy_archive_exits_0(archive: tuple[Engine, dict[str, str]]) -> None:
    result = run_health(archive[1])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[:3] == ["SOURCE", "LAST", "RUN"]
    assert result.output.splitlines()[-1] == "2 sources healthy"


def test_a_failed_last_run_exits_1_with_one_line(archive: tuple[Engine, dict[str, str]]) -> None:
    engine, env = archive
    add_run(engine, "hub", "failed", hours_ago=1)
    add_run(engine, "hub", "failed", hours_ago=0.5)
    result = run_health(env)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "hub: last run 7 failed (2 failures in a row): cannot reach http://hub.test/"
    ]
    assert run_health(env, "--source", "manual").exit_code == 0


def test_an_overdue_source_exits_1(archive: tuple[Engine, dict[str, str]]) -> None:
    engine, env = archive
    with engine.begin() as connection:  # the last run was 3 hours ago on an hourly schedule
        connection.execute(
            update(CrawlRun)
            .where(CrawlRun.id == 4)
            .values(started_at=datetime.now(UTC) - timedelta(hours=3))
        )
    result = run_health(env)
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith("hub: overdue: last run started 3.0 h ago, schedule 'every 1h'")


def test_few_articles_and_partial_extractions_are_problems(
    archive: tuple[Engine, dict[str, str]],
) -> None:
    engine, _ = archive
    add_run(engine, "hub", "finished", hours_ago=0.2, new=4)
    (hub,) = health(engine, {}, source="hub")
    assert hub.median_articles == 20 and hub.last_articles == 4
    assert hub.problems == ["hub: last run 6 saw 4 articles, the median of the 4 runs before is 20"]
    add_run(engine, "hub", "finished", hours_ago=0.1, new=20, **{"newshub/extraction_problems": 8})
    (hub,) = health(engine, {}, source="hub")
    assert hub.partial_share == 0.4
    assert hub.problems == ["hub: last run 7: 8 of 20 articles extracted only partially (over 25%)"]


def test_a_scheduled_source_never_crawled_is_a_problem(
    archive: tuple[Engine, dict[str, str]],
) -> None:
    sources = {"new": Source("new", "http://new.test/", schedule="every 1h")}
    (new,) = health(archive[0], sources, source="new")
    assert new.problems == ["new: never crawled (schedule 'every 1h')"]
