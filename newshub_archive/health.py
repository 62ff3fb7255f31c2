"""Is every source still being archived? The checks behind `newshub health` (cron, monitoring).

Per source, from its run history: the last run must have succeeded, must not be overdue for
its schedule (one missed slot is tolerated: jitter, a long crawl, a restart), and must have
seen about as many articles as the recent runs did; articles whose extraction reported
problems (a partial result) must stay a minority. Each failed check is one line.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from crawler.config import Source
from crawler.scheduling.expressions import fire_times_after
from pipelines.db.models import CrawlRun, SourceRow

FAILED = ("failed", "interrupted")
# Runs compared with the last one, and how far below their median it may fall.
RECENT_RUNS = 10
MIN_RECENT_RUNS = 3
LOW_ARTICLES_RATIO = 0.5
# Share of a run's extracted articles that may report extraction problems.
PARTIAL_SHARE_LIMIT = 0.25
MIN_EXTRACTED = 10


@dataclass
class SourceHealth:
    name: str
    schedule: str | None = None
    last_run_id: int | None = None
    last_status: str | None = None
    last_started_at: datetime | None = None
    consecutive_failures: int = 0
    last_articles: int | None = None
    median_articles: float | None = None
    partial_share: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def health(
    engine: Engine,
    configured: dict[str, Source],
    *,
    source: str | None = None,
    now: datetime | None = None,
) -> list[SourceHealth]:
    """The health of every configured or archived source (or only `source`), by name."""
    now = now or datetime.now(UTC)
    runs_table, sources = CrawlRun.__table__, SourceRow.__table__
    with engine.connect() as connection:
        archived = dict(connection.execute(select(sources.c.name, sources.c.id)).all())
        names = sorted(set(archived) | set(configured))
        report = []
        for name in names if source is None else [source]:
            runs: list[Any] = []
            if name in archived:
                query = (
                    select(runs_table)
                    .where(
                        runs_table.c.source_id == archived[name],
                        runs_table.c.status.not_in(("running", "skipped")),
                    )
                    .order_by(runs_table.c.id.desc())
                    .limit(RECENT_RUNS + 1)
                )
                runs = list(connection.execute(query))
            config = configured.get(name)
            report.append(_check(name, config.schedule if config else None, runs, now))
    return report


def _check(name: str, schedule: str | None, runs: list[Any], now: datetime) -> SourceHealth:
    """`runs`: the source's newest ended runs first."""
    result = SourceHealth(name, schedule)
    if not runs:
        if schedule:
            result.problems.append(f"{name}: never crawled (schedule {schedule!r})")
        return result
    last = runs[0]
    result.last_run_id, result.last_status = last.id, last.status
    result.last_started_at = last.started_at
    for run in runs:
        if run.status not in FAILED:
            break
        result.consecutive_failures += 1
    if last.status in FAILED:
        error = (last.error or "no error recorded").splitlines()[0][:160]
        streak = result.consecutive_failures
        times = f" ({streak} failures in a row)" if streak > 1 else ""
        result.problems.append(f"{name}: last run {last.id} {last.status}{times}: {error}")
    if schedule:
        slots = fire_times_after(schedule, last.started_at, 2)
        if len(slots) == 2 and now > slots[1]:
            result.problems.append(
                f"{name}: overdue: last run started {_age(now - last.started_at)} ago, "
                f"schedule {schedule!r} expected one by {slots[0]:%Y-%m-%d %H:%M %Z}"
            )
    finished = [run for run in runs if run.status == "finished"]
    if finished and finished[0].id == last.id:
        _check_articles(result, finished)
    return result


def _articles_seen(run: Any) -> int:
    """Articles a run met: extracted (new, updated, unchanged) or known and not refetched."""
    stats = run.stats or {}
    known = int(stats.get("newshub/recrawl/skipped", 0)) + int(
        stats.get("newshub/recrawl/not_modified", 0)
    )
    return int(run.articles_new + run.articles_updated + run.articles_unchanged) + known


def _check_articles(result: SourceHealth, finished: list[Any]) -> None:
    last, earlier = finished[0], finished[1:]
    result.last_articles = _articles_seen(last)
    if len(earlier) >= MIN_RECENT_RUNS:
        result.median_articles = statistics.median(_articles_seen(run) for run in earlier)
        if result.last_articles < result.median_articles * LOW_ARTICLES_RATIO:
            result.problems.append(
                f"{result.name}: last run {last.id} saw {result.last_articles} articles, "
                f"the median of the {len(earlier)} runs before is {result.median_articles:g}"
            )
    extracted = int(last.articles_new + last.articles_updated + last.articles_unchanged)
    partial = int((last.stats or {}).get("newshub/extraction_problems", 0))
    if extracted:
        result.partial_share = partial / extracted
    if extracted >= MIN_EXTRACTED and partial / extracted > PARTIAL_SHARE_LIMIT:
        result.problems.append(
            f"{result.name}: last run {last.id}: {partial} of {extracted} articles extracted "
            f"only partially (over {PARTIAL_SHARE_LIMIT:.0%})"
        )


def _age(delta: Any) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
