"""`newshub stats` and `newshub health`: what an operator and a monitoring system look at."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from crawler.cli.base import Context, main, pass_context, source_option
from crawler.cli.output import echo_json, echo_rich, format_option, make_table


@main.command()
@source_option
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True)
@format_option("table", "json", "prometheus")
@pass_context
def stats(obj: Context, source: str | None, days: int, fmt: str) -> None:
    """Articles per source, category, agency and day; captures, WARC bytes, last good run.

    The table leaves out sources that archived nothing and are not in the config file (an
    ad-hoc crawl that failed); json and prometheus list every source.
    """
    from newshub_archive.stats import stats as archive_stats

    engine = obj.archive(source)
    report = archive_stats(engine, source, warc_dir=obj.paths().warc_dir, days=days)
    if fmt == "json":
        echo_json(asdict(report))
        return
    if fmt == "prometheus":
        from newshub_archive.prometheus import prometheus_text

        click.echo(prometheus_text(engine, report, source), nl=False)
        return
    configured = obj.sources(required=False)
    shown = [s for s in report.sources if s.captures or s.name in configured or s.name == source]
    right = ("ARTICLES", "REMOVED", "MOVED", "CAPTURES", "WARC FILES", "WARC BYTES")
    table = make_table("SOURCE", *right, "LAST SUCCESSFUL RUN", right=right)
    for s in shown:
        run = s.last_success
        last = "never"
        if run:
            when = run["finished_at"].strftime("%Y-%m-%d %H:%M UTC") if run["finished_at"] else ""
            last = f"{when} (run {run['id']}: {run['articles_new']} new)"
        if s.last_run_status not in (None, "finished"):
            last += f"; latest run {s.last_run_status}"
        size = f"{s.warc_bytes:,}" if s.warc_bytes is not None else "-"
        if s.missing_warc_files:
            size += f" ({s.missing_warc_files} missing)"
        table.add_row(
            s.name,
            f"{s.articles:,}",
            f"{s.removed:,}",
            f"{s.moved:,}",
            f"{s.captures:,}",
            str(s.warc_files),
            size,
            last,
        )
    echo_rich(table)
    hidden = len(report.sources) - len(shown)
    if hidden:
        click.echo(f"({hidden} unconfigured sources with nothing archived left out: newshub runs)")
    click.echo("\ncaptures by status: " + ", ".join(f"{k}: {n}" for k, n in report.statuses))
    sections = (
        (f"new articles per day (first seen, UTC, last {days} days)", report.days),
        ("articles per category", report.categories),
        ("articles per agency", report.agencies),
    )
    for title, pairs in sections:
        click.echo(f"\n{title}")
        for key, n in pairs:
            click.echo(f"  {n:>7}  {key if key is not None else '(none)'}")


@main.command()
@source_option
@format_option("table", "json")
@pass_context
def health(obj: Context, source: str | None, fmt: str) -> None:
    """Exit 1 with one line per problem when a source is unhealthy, 0 when all are well.

    Checks each source's last run: failed or interrupted (and how many times in a row), overdue
    for its schedule, far fewer articles than the median of its recent runs, or too many
    articles extracted only partially. For cron's MAILTO or a monitoring check.
    """
    from newshub_archive.health import health as check_health

    engine = obj.archive(source)
    report = check_health(engine, obj.sources(required=False), source=source)
    problems = [problem for result in report for problem in result.problems]
    if fmt == "json":
        echo_json([{**asdict(result), "ok": result.ok} for result in report])
    elif problems:
        for problem in problems:
            click.echo(problem)
    else:
        table = make_table("SOURCE", "LAST RUN", "STATUS", "STARTED", "ARTICLES", "MEDIAN")
        for r in report:
            started = r.last_started_at.strftime("%Y-%m-%d %H:%M UTC") if r.last_started_at else ""
            median = "-" if r.median_articles is None else f"{r.median_articles:g}"
            articles = "-" if r.last_articles is None else str(r.last_articles)
            run = "-" if r.last_run_id is None else str(r.last_run_id)
            table.add_row(r.name, run, r.last_status or "never run", started, articles, median)
        echo_rich(table)
        click.echo(f"{len(report)} source{'' if len(report) == 1 else 's'} healthy")
    if problems:
        sys.exit(1)
