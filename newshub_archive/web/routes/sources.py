"""The sources page (`/sources`) and `/api/sources`: schedule, last runs, daily articles, and
the verdict of `newshub health` (newshub_archive.health).

"Failures" of a run are the errors it logged (Scrapy's `log_count/ERROR`: downloads that
failed after their retries, spider and database errors).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from newshub_archive.health import health
from newshub_archive.stats import stats
from newshub_archive.web.archive import Archive
from pipelines.db.history import RunInfo, list_runs

RUNS_SHOWN = 5
CHART_DAYS = 30

pages = APIRouter()
api = APIRouter(tags=["sources"])


def failures(run: RunInfo) -> int:
    return int(run.stats.get("log_count/ERROR", 0))


def run_summary(run: RunInfo) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration": run.duration,
        "pages": run.pages,
        "new": run.new,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "failures": failures(run),
        "error": run.error,
        "hostname": run.hostname,
        "pid": run.pid,
        "worker": run.worker,
        "job_id": run.job_id,
        "ran_on": run.ran_on,
    }


def source_reports(archive: Archive, now: datetime | None = None) -> list[dict[str, Any]]:
    """One report per source in the archive (and per configured source not crawled yet)."""
    now = now or datetime.now(UTC)
    report = stats(archive.engine, days=CHART_DAYS, now=now)
    names = sorted({s.name for s in report.sources} | set(archive.sources))
    counts = {s.name: s for s in report.sources}
    verdicts = {h.name: h for h in health(archive.engine, dict(archive.sources), now=now)}
    reports = []
    for name in names:
        configured = archive.sources.get(name)
        schedule = configured.schedule if configured else None
        runs = list_runs(archive.engine, source=name, limit=20) if name in counts else []
        per_day = stats(archive.engine, name, days=CHART_DAYS, now=now).days if runs else []
        problems = verdicts[name].problems if name in verdicts else []
        reports.append(
            {
                "name": name,
                "schedule": schedule,
                "articles": counts[name].articles if name in counts else 0,
                "captures": counts[name].captures if name in counts else 0,
                "health": "unhealthy" if problems else "healthy",
                "problems": problems,
                "runs": [run_summary(run) for run in runs[:RUNS_SHOWN]],
                "articles_per_day": [{"day": day, "articles": n} for day, n in sorted(per_day)],
            }
        )
    return reports


@pages.get("/sources", response_class=HTMLResponse, include_in_schema=False)
def sources_page(request: Request) -> HTMLResponse:
    reports = source_reports(request.app.state.archive)
    return request.app.state.templates.TemplateResponse(
        request, "sources.html", {"sources": reports, "chart_days": CHART_DAYS}
    )


@api.get("/sources", summary="Each source: schedule, last runs, articles per day, health")
def sources_api(request: Request) -> dict[str, Any]:
    return {"sources": source_reports(request.app.state.archive)}
