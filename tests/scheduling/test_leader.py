"""Two scheduler daemons on one database: one schedules, the other stands by and takes over
within a minute of the first being killed; no crawl is started twice, none is `skipped`."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crawler.locks import scheduler_lock
from crawler.scheduling.leader import wait_for_leadership
from pipelines.db.engine import make_engine
from pipelines.db.models import CrawlRun
from tests.waiting import wait_for


def test_a_standby_waits_until_the_leader_lets_go(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        leader = wait_for_leadership(engine, 0.05, threading.Event())
        assert leader is not None and leader.held
        stopped = threading.Event()
        stopped.set()
        assert wait_for_leadership(engine, 0.05, stopped) is None  # stopped while standing by
        taken: list[object] = []
        standby = threading.Thread(
            target=lambda: taken.append(wait_for_leadership(engine, 0.05, threading.Event()))
        )
        standby.start()
        time.sleep(0.3)
        assert not taken
        leader.release()
        standby.join(5)
        assert taken and taken[0] is not None
        taken[0].release()  # type: ignore[attr-defined]
        again = scheduler_lock(engine)
        assert again.acquire()
        again.release()
    finally:
        engine.dispose()


def start_daemon(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "schedule", "run", "--stop-grace", "5"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@pytest.mark.timeout(180)
@pytest.mark.slow
def test_two_daemons_one_schedule_and_a_takeover(database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "newshub.toml"
    config.write_text(
        '[[source]]\nname = "down"\nhome = "http://127.0.0.1:9/"\nschedule = "every 3s"\n'
        "delay = 0\n"
    )
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(tmp_path / "data"),
           "NEWSHUB_DATABASE_URL": database_url, "NEWSHUB_CONFIG": str(config)}  # fmt: skip
    engine = make_engine(database_url)

    def runs() -> list:
        try:
            with engine.connect() as connection:
                return connection.execute(select(CrawlRun).order_by(CrawlRun.id)).all()
        except SQLAlchemyError:  # no schema yet
            return []

    first = start_daemon(env, tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: "job down: added" in (tmp_path / "first.log").read_text(), 60, "leader")
        second = start_daemon(env, tmp_path / "second.log")
        wait_for(lambda: "standing by" in (tmp_path / "second.log").read_text(), 60, "standby")
        wait_for(lambda: len(runs()) >= 3, 60, "3 runs by the leader")
        first.kill()  # SIGKILL: no clean-up, the lock goes with the process
        first.wait()
        killed_at = time.monotonic()
        wait_for(lambda: "taking over" in (tmp_path / "second.log").read_text(), 60, "takeover")
        assert time.monotonic() - killed_at < 60
        before = len(runs())
        wait_for(lambda: len(runs()) >= before + 2, 60, "runs by the new leader")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
    finally:
        for daemon in (first, second):
            if daemon is not None and daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    found = runs()
    engine.dispose()
    assert "skipped" not in {run.status for run in found}, "no crawl was started twice"
    done = [run for run in found if run.finished_at is not None]
    for before_run, after_run in itertools.pairwise(done):
        assert before_run.finished_at <= after_run.started_at
