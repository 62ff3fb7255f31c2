"""`newshub runs`, `newshub schedule list|run` and the crawl's exit 75, in-process."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, Unicode

from crawler.cli import main
from crawler.config import Source
from crawler.locks import source_lock
from pipelines.db import schema
from pipelines.db.engine import make_engine
from pipelines.db.history import list_runs, record_skipped
from pipelines.db.runs import ensure_source, finish_run, start_run

CONFIG = """
[[source]]
name = "hub"
home = "http://hub.test/"
schedule = "*/30 * * * *"

[[source]]
name = "other"
home = "http://other.test/"
schedule = "every 2h"

[[source]]
name = "manual"
home = "http://manual.test/"
"""


class Newshub:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.config = tmp_path / "newshub.toml"
        self.config.write_text(CONFIG)
        self.url = database_url
        self.env = {
            "NEWSHUB_DATA_DIR": str(tmp_path / "data"),
            "NEWSHUB_DATABASE_URL": database_url,
            "NEWSHUB_CONFIG": str(self.config),
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env)


@pytest.fixture
def newshub(tmp_path: Path, database_url: str) -> Newshub:
    return Newshub(tmp_path, database_url)


def one_line_error(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_runs_lists_the_history(newshub: Newshub) -> None:
    assert "no runs recorded" in newshub("runs").output
    engine = make_engine(newshub.url)
    try:
        schema.upgrade(engine)
        hub = ensure_source(engine, Source("hub", "http://hub.test/"))
        other = ensure_source(engine, Source("other", "http://other.test/"))
        done, _ = start_run(engine, hub, trigger="daemon")
        counts = {"pages": 40, "new": 12, "updated": 2, "unchanged": 30}
        finish_run(engine, done, status="finished", counts=counts)
        record_skipped(engine, hub, trigger="cron", reason="source 'hub' is already being crawled")
        start_run(engine, other, worker="node2:4321", job_id=7)
    finally:
        engine.dispose()
    listed = newshub("runs")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == [
        "RUN", "SOURCE", "STATUS", "TRIGGER", "STARTED", "TOOK", "PAGES", "NEW/UPD/SAME",
        "RAN", "ON", "ERROR",
    ]  # fmt: skip
    assert [line.split()[:4] for line in lines[1:]] == [
        ["3", "other", "running", "manual"],
        ["2", "hub", "skipped", "cron"],
        ["1", "hub", "finished", "daemon"],
    ]
    assert "12/2/30" in lines[3] and "already being crawled" in lines[2]
    assert "worker node2:4321 job 7" in lines[1]
    assert f"{socket.gethostname()}:{os.getpid()}" in lines[3]  # not a worker: host and pid
    listed_json = json.loads(newshub("runs", "--format", "json").output)
    assert (listed_json[0]["worker"], listed_json[0]["job_id"]) == ("node2:4321", 7)
    only = newshub("runs", "--source", "hub", "--limit", "1").output.splitlines()
    assert len(only) == 2 and only[1].split()[:3] == ["2", "hub", "skipped"]
    assert "no runs recorded for manual" in newshub("runs", "-s", "manual").output
    assert "no source named 'nope'; configured: hub, manual, other" in one_line_error(
        newshub("runs", "-s", "nope")
    )


def test_schedule_list_shows_jobs_next_runs_and_last_results(newshub: Newshub) -> None:
    before = newshub("schedule", "list")
    assert before.exit_code == 0, before.output
    assert before.output.count("daemon not started yet") == 2 and "manual" not in before.output
    engine = make_engine(newshub.url)
    try:
        schema.upgrade(engine)
        jobs = Table(
            "apscheduler_jobs",
            MetaData(),
            Column("id", Unicode(191), primary_key=True),
            Column("next_run_time", Float(25)),
            Column("job_state", LargeBinary),
        )
        jobs.create(engine)
        due = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(
                jobs.insert(),
                [
                    {"id": "hub", "next_run_time": due.timestamp(), "job_state": b""},
                    {"id": "gone", "next_run_time": due.timestamp(), "job_state": b""},
                ],
            )
        hub = ensure_source(engine, Source("hub", "http://hub.test/"))
        run, _ = start_run(engine, hub, trigger="daemon")
        finish_run(engine, run, status="failed", counts={}, error="cannot reach")
        record_skipped(engine, hub, trigger="cron", reason="busy")  # not a result
    finally:
        engine.dispose()
    listed = newshub("schedule", "list").output.splitlines()
    rows = {line.split()[0]: line for line in listed[1:]}
    assert set(rows) == {"gone", "hub", "other"}
    assert due.astimezone().strftime("%Y-%m-%d %H:%M:%S") in rows["hub"]
    assert "failed" in rows["hub"] and f"(run {run})" in rows["hub"]
    assert "not in config" in rows["gone"]
    assert "daemon not started yet" in rows["other"] and "never run" in rows["other"]


def test_schedule_errors_are_one_line(newshub: Newshub) -> None:
    newshub.config.write_text('[[source]]\nname = "hub"\nhome = "http://hub.test/"\n')
    result = newshub("schedule", "run")
    assert result.exit_code == 1 and "has a 'schedule'" in one_line_error(result)
    newshub.config.write_text(
        '[[source]]\nname = "hub"\nhome = "http://hub.test/"\nschedule = "sometimes"\n'
    )
    for command in (("schedule", "run"), ("schedule", "list"), ("crawl", "hub")):
        line = one_line_error(newshub(*command))
        assert "'schedule' must be a cron expression" in line


def test_a_crawl_of_a_locked_source_exits_75(newshub: Newshub) -> None:
    engine = make_engine(newshub.url)
    lock = source_lock(engine, "hub")
    try:
        schema.upgrade(engine)
        assert lock.acquire()
        result = newshub("crawl", "hub", "--trigger", "cron")
        assert result.exit_code == 75
        assert "already being crawled" in one_line_error(result)
        run = list_runs(engine, source="hub")[0]
        assert (run.status, run.trigger) == ("skipped", "cron")
    finally:
        lock.release()
        engine.dispose()
