"""`newshub runs` and `newshub schedule run|list`: run history and the scheduler daemon."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import click

from crawler.cli.base import Context, main, pass_context, source_option
from crawler.config import ConfigError, config_path


@main.command()
@source_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True)
@pass_context
def runs(obj: Context, source: str | None, limit: int) -> None:
    """List crawl runs, newest first: status, trigger, duration, counts, error."""
    from pipelines.db.history import list_runs
    from pipelines.db.schema import current_revision

    engine = obj.engine()
    if current_revision(engine) is None:
        click.echo("no runs recorded (the database is empty)")
        return
    found = list_runs(engine, source=source, limit=limit)
    if not found:
        click.echo("no runs recorded" + (f" for {source}" if source else ""))
        return
    rows = [("RUN", "SOURCE", "STATUS", "TRIGGER", "STARTED", "TOOK", "PAGES", "NEW/UPD/SAME")]
    for run in found:
        took = "-" if run.duration is None else f"{run.duration:.0f}s"
        rows.append(
            (
                str(run.id),
                run.source,
                run.status,
                run.trigger,
                _when(run.started_at),
                took,
                str(run.pages),
                f"{run.new}/{run.updated}/{run.unchanged}",
            )
        )
    errors = {str(run.id): run.error for run in found}
    for line, row in zip(_table(rows), rows, strict=True):
        error = errors.get(row[0])
        click.echo(f"{line}  {error.splitlines()[0][:120]}" if error else line)


@main.group()
def schedule() -> None:
    """The scheduler daemon: crawl every source on its `schedule`."""


@schedule.command("run")
@click.option(
    "--stop-grace",
    type=click.FloatRange(min=0),
    help="Seconds running crawls get to finish after SIGTERM (default 60).",
)
@pass_context
def schedule_run(obj: Context, stop_grace: float | None) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C (for systemd)."""
    import dataclasses

    from crawler.locks import schema_lock
    from crawler.scheduling.daemon import Daemon, DaemonOptions
    from pipelines.db.schema import ensure_schema

    sources = obj.sources()
    if not any(source.schedule for source in sources.values()):
        raise ConfigError(f"no source in {config_path(obj.config)} has a 'schedule'")
    options = DaemonOptions()
    if stop_grace is not None:
        options = dataclasses.replace(options, stop_grace=stop_grace)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = obj.engine()
    with schema_lock(engine):
        ensure_schema(engine)
    daemon = Daemon(sources, config_path(obj.config), options)
    try:
        daemon.run(engine)
    finally:
        engine.dispose()


@schedule.command("list")
@pass_context
def schedule_list(obj: Context) -> None:
    """Show every scheduled source: its schedule, next run and last result."""
    from crawler.scheduling.daemon import scheduled_jobs
    from pipelines.db.history import last_results
    from pipelines.db.schema import current_revision

    sources = obj.sources(required=False)
    engine = obj.engine()
    jobs = scheduled_jobs(engine, sources)
    if not jobs:
        click.echo("nothing scheduled: give sources a `schedule` in the config file")
        return
    last = last_results(engine) if current_revision(engine) is not None else {}
    rows = [("SOURCE", "SCHEDULE", "NEXT RUN", "LAST RESULT")]
    for job in jobs:
        if not job.in_config:
            next_run = "not in config (removed when the daemon starts)"
        elif not job.in_store:
            next_run = "daemon not started yet"
        else:
            next_run = _when(job.next_run) if job.next_run else "paused"
        run = last.get(job.source)
        result = "never run"
        if run is not None:
            result = f"{run.status} {_when(run.started_at)} (run {run.id})"
        rows.append((job.source, job.schedule or "-", next_run, result))
    for line in _table(rows):
        click.echo(line)


def _when(moment: datetime) -> str:
    """A moment in the local time zone, to the second, with its offset."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S%z")


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
