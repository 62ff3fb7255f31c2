"""A source's health verdict from its runs and schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newshub_archive.web.health import source_health
from pipelines.db.history import RunInfo

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def run(number: int, status: str = "finished", *, hours_ago: float = 1, new: int = 10) -> RunInfo:
    started = NOW - timedelta(hours=hours_ago)
    return RunInfo(
        id=number, source="hub", status=status, trigger="cron", hostname="h", pid=1,
        started_at=started, finished_at=started + timedelta(minutes=5), pages=50, new=new,
        updated=0, unchanged=0, error="connection refused\nmore" if status == "failed" else None,
    )  # fmt: skip


def test_healthy_and_never_crawled() -> None:
    assert source_health([run(2), run(1)], "every 2h", NOW).ok
    assert source_health([], None, NOW).problems == ["never crawled"]
    assert source_health([run(1, "skipped")], None, NOW).problems == ["never crawled"]


def test_failed_runs() -> None:
    once = source_health([run(3, "failed"), run(2), run(1)], None, NOW)
    assert once.problems == ["last run 3 failed: connection refused"]
    twice = source_health([run(3, "failed"), run(2, "interrupted"), run(1)], None, NOW)
    assert twice.verdict == "unhealthy" and "2 runs failed in a row" in twice.problems


def test_overdue_by_interval_and_cron() -> None:
    assert source_health([run(1, hours_ago=3)], "every 2h", NOW).ok  # the next run is due now
    late = source_health([run(1, hours_ago=5)], "every 2h", NOW)
    assert late.problems == ["overdue: a run was due at 2026-06-01 09:00 UTC"]
    assert source_health([run(1, hours_ago=60)], "@daily", NOW).problems[0].startswith("overdue")
    assert source_health([run(1, hours_ago=20)], "@daily", NOW).ok


def test_articles_drop() -> None:
    runs = [run(4, new=2), run(3, new=10), run(2, new=12), run(1, new=8)]
    assert source_health(runs, None, NOW).problems == [
        "last run saw 2 articles, the runs before it 10 (median)"
    ]
    assert source_health([run(4, new=6), *runs[1:]], None, NOW).ok
