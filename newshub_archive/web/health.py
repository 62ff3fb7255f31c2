"""Is a source healthy? The checks an operator would make looking at its recent runs.

Unhealthy when it never ran, when its last run did not finish, when it is overdue (a whole
scheduled run was missed after the last one started), when its last runs failed one after the
other, or when the last run saw far fewer articles than its recent runs usually do.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crawler.scheduling.expressions import make_trigger, parse_duration
from pipelines.db.history import RunInfo

# Runs that did something (running and skipped runs say nothing about the source).
_DONE = ("finished", "failed", "interrupted")
# The last run saw fewer than this share of the median articles of the runs before it.
DROP_SHARE = 0.5


@dataclass
class Health:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> str:
        return "healthy" if self.ok else "unhealthy"


def source_health(runs: Sequence[RunInfo], schedule: str | None, now: datetime) -> Health:
    """The health of a source from its runs, newest first, and its schedule (if any)."""
    health = Health()
    done = [run for run in runs if run.status in _DONE]
    if not done:
        health.problems.append("never crawled")
        return health
    last = done[0]
    if last.status != "finished":
        reason = (last.error or "").splitlines()[0][:160] if last.error else "no error recorded"
        health.problems.append(f"last run {last.id} {last.status}: {reason}")
    failed_in_a_row = next((n for n, run in enumerate(done) if run.status == "finished"), len(done))
    if failed_in_a_row > 1:
        health.problems.append(f"{failed_in_a_row} runs failed in a row")
    if schedule:
        overdue = _overdue_since(schedule, runs[0].started_at, now)
        if overdue is not None:
            health.problems.append(f"overdue: a run was due at {overdue:%Y-%m-%d %H:%M} UTC")
    finished = [run.new + run.updated + run.unchanged for run in done if run.status == "finished"]
    if last.status == "finished" and len(finished) >= 3:
        usual = statistics.median(finished[1:])
        if usual and finished[0] < usual * DROP_SHARE:
            health.problems.append(
                f"last run saw {finished[0]} articles, the runs before it {usual:g} (median)"
            )
    return health


def _overdue_since(schedule: str, last_start: datetime, now: datetime) -> datetime | None:
    """When the missed run was due, if the run after the next one is already due too."""
    seconds = parse_duration(schedule)
    due: datetime | None
    after: datetime | None
    if seconds is not None:
        due, after = (last_start + timedelta(seconds=seconds * n) for n in (1, 2))
    else:
        trigger = make_trigger(schedule)
        due = trigger.get_next_fire_time(None, last_start + timedelta(seconds=1))
        after = trigger.get_next_fire_time(due, due + timedelta(seconds=1)) if due else None
    return due if due is not None and after is not None and after <= now else None
