"""`newshub runs` and `newshub schedule run|list`: run history and the scheduler daemon."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from dataclasses import asdict
from datetime import datetime

import click

from crawler.cli.base import (
    Context,
    crawls_per_process_option,
    log_format_option,
    main,
    pass_context,
    source_option,
)
from crawler.cli.output import echo_json, echo_rich, format_option, make_table
from crawler.config import ConfigError, config_path


@main.command()
@source_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True)
@format_option("table", "json")
@pass_context
def runs(obj: Context, source: str | None, limit: int, fmt: str) -> None:
    """List crawl runs, newest first: status, trigger, duration, counts, error."""
    from pipelines.db.history import list_runs

    engine = obj.archive(source, empty_ok=True)
    found = [] if engine is None else list_runs(engine, source=source, limit=limit)
    if fmt == "json":
        echo_json(
            [{**asdict(run), "duration": run.duration, "ran_on": run.ran_on} for run in found]
        )
        return
    if engine is None:
        click.echo("no runs recorded (the database is empty)")
        return
    if not found:
        click.echo("no runs recorded" + (f" for {source}" if source else ""))
        return
    right = ("RUN", "TOOK", "PAGES")
    table = make_table(
        "RUN", "SOURCE", "STATUS", "TRIGGER", "STARTED", *right[1:], "NEW/UPD/SAME", "RAN ON",
        "ERROR",
        right=right,
    )  # fmt: skip
    for run in found:
        took = "-" if run.duration is None else f"{run.duration:.0f}s"
        table.add_row(
            str(run.id),
            run.source,
            run.status,
            run.trigger,
            _when(run.started_at),
            took,
            str(run.pages),
            f"{run.new}/{run.updated}/{run.unchanged}",
            run.ran_on,
            run.error.splitlines()[0][:120] if run.error else "",
        )
    echo_rich(table)


@main.group()
def schedule() -> None:
    """The scheduler daemon: crawl every source on its `schedule`."""


@schedule.command("run")
@click.option(
    "--stop-grace",
    type=click.FloatRange(min=0),
    help="Seconds running crawls get to finish after SIGTERM (default 60).",
)
@click.option(
    "--max-concurrent-crawls",
    "max_crawls",
    type=click.IntRange(min=1),
    envvar="NEWSHUB_MAX_CONCURRENT_CRAWLS",
    help="Crawl processes run at once; due crawls beyond them wait, most overdue first "
    "(default from the host's cores and memory).",
)
@crawls_per_process_option
@log_format_option
@pass_context
def schedule_run(
    obj: Context,
    stop_grace: float | None,
    max_crawls: int | None,
    crawls_per_process: int | None,
    log_format: str,
) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C (for systemd).

    With NEWSHUB_BROKER_URL set, due crawls are enqueued for `newshub worker` processes
    instead of running here.
    """
    import dataclasses

    from crawler.locks import schema_lock
    from crawler.log_format import use_json_logs
    from crawler.scheduling.cluster import broker_url, dispatch, job_app
    from crawler.scheduling.daemon import Daemon, DaemonOptions
    from pipelines.db.schema import ensure_schema

    sources = obj.sources()
    if not any(source.schedule for source in sources.values()):
        raise ConfigError(f"no source in {config_path(obj.config)} has a 'schedule'")
    options = DaemonOptions(max_concurrent_crawls=max_crawls)
    if crawls_per_process is not None:
        options = dataclasses.replace(options, crawls_per_process=crawls_per_process)
    if stop_grace is not None:
        options = dataclasses.replace(options, stop_grace=stop_grace)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if log_format == "json":
        os.environ["NEWSHUB_LOG_FORMAT"] = "json"  # the crawls the daemon starts log JSON too
        use_json_logs()
    engine = obj.engine()
    with schema_lock(engine):
        ensure_schema(engine)
    dispatcher = None
    app = None
    if broker_url() is not None:  # a cluster: workers run the crawls
        app = job_app()
        dispatcher = functools.partial(dispatch, app, trigger="daemon")
    daemon = Daemon(sources, config_path(obj.config), options, dispatcher=dispatcher)
    try:
        with app.open() if app is not None else contextlib.nullcontext():
            daemon.run(engine)
    finally:
        engine.dispose()


@schedule.command("list")
@format_option("table", "json")
@pass_context
def schedule_list(obj: Context, fmt: str) -> None:
    """Show every scheduled source: its schedule, next run and last result."""
    from crawler.scheduling.jobs import scheduled_jobs
    from pipelines.db.history import last_results

    sources = obj.sources(required=False)
    engine = obj.archive(empty_ok=True)
    jobs = scheduled_jobs(engine, sources)
    last = last_results(engine) if engine is not None else {}
    if fmt == "json":
        results = {name: asdict(run) for name, run in last.items()}
        echo_json([{**asdict(job), "last_result": results.get(job.source)} for job in jobs])
        return
    if not jobs:
        click.echo("nothing scheduled: give sources a `schedule` in the config file")
        return
    table = make_table("SOURCE", "SCHEDULE", "NEXT RUN", "LAST RESULT")
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
        table.add_row(job.source, job.schedule or "-", next_run, result)
    echo_rich(table)


def _when(moment: datetime) -> str:
    """A moment in the local time zone, to the second, with its offset."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S%z")
