"""`newshub crawl`, `newshub demo` and `newshub sources`."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click

from crawler.cli.base import Context, log_format_option, main, pass_context
from crawler.cli.output import count_line, echo_json, echo_rich, format_option, make_table
from crawler.config import ConfigError, Source


@main.command()
@format_option("table", "json")
@pass_context
def sources(obj: Context, fmt: str) -> None:
    """List the configured sources."""
    configured = obj.sources()
    if fmt == "json":
        echo_json([{**asdict(s), "domains": list(s.domains)} for s in configured.values()])
        return
    if not configured:
        click.echo("no sources configured")
        return
    table = make_table("NAME", "HOME", "SCHEDULE", "DOMAINS")
    for source in configured.values():
        table.add_row(source.name, source.home, source.schedule or "-", ", ".join(source.domains))
    echo_rich(table)
    click.echo(count_line(len(configured), len(configured), "source"))


@main.command()
@click.argument("source_names", nargs=-1, metavar="[SOURCE]...")
@click.option("--url", metavar="HOME_URL", help="Crawl a hub that is not in the config file.")
@click.option("--name", metavar="NAME", help="Source name for --url (default: the host).")
@click.option("--max-articles", type=click.IntRange(min=1), help="Stop after N articles.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight per site.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests.")
@click.option(
    "--trigger",
    type=click.Choice(["manual", "cron", "daemon", "dispatch"]),
    default="manual",
    help="What started this run (recorded in crawl_runs).",
)
@click.option(
    "--verbose", "-v", is_flag=True, help="Show Scrapy's log on stderr instead of a log file."
)
@click.option(
    "--dispatch",
    is_flag=True,
    help="Enqueue the crawl for the cluster's workers (NEWSHUB_BROKER_URL) and return.",
)
# Set by `newshub worker` on the crawls it starts: recorded in crawl_runs.
@click.option("--worker", "worker", hidden=True)
@click.option("--job", "job_id", type=int, hidden=True)
# A batch of cluster jobs in one process: NAME=JOB_ID:TRIGGER per source.
@click.option("--job-of", "jobs_of", multiple=True, hidden=True)
@log_format_option
@pass_context
def crawl(
    obj: Context,
    source_names: tuple[str, ...],
    url: str | None,
    name: str | None,
    max_articles: int | None,
    concurrency: int | None,
    delay: float | None,
    trigger: str,
    verbose: bool,
    dispatch: bool,
    worker: str | None,
    job_id: int | None,
    jobs_of: tuple[str, ...],
    log_format: str,
) -> None:
    """Crawl SOURCE from the config file, or an ad-hoc hub given with --url.

    Several SOURCEs crawl together in one process (one Twisted reactor, a crawler each, each
    with its own lock, run, log and WARC files), one summary line each.

    Exit status: 0 done, 1 failed, 75 skipped because another run of the source is going on
    (cron-safe: runs of one source never overlap; each run is recorded in `newshub runs`).
    With several SOURCEs: 0 when all finished, else 1 if any failed, else 75.
    """
    if bool(source_names) == bool(url):
        raise click.UsageError("give either SOURCE... or --url HOME_URL")
    from crawler.config import adhoc_source
    from crawler.runner import CrawlOptions, crawl

    if url:
        chosen = [adhoc_source(url, name)]
    else:
        configured = obj.sources()
        unknown = [n for n in source_names if n not in configured]
        if unknown:
            known = ", ".join(sorted(configured)) or "none"
            raise ConfigError(f"no source named {unknown[0]!r}; configured: {known}")
        chosen = [configured[n] for n in dict.fromkeys(source_names)]
    if dispatch:
        for source in chosen:
            _dispatch(obj, source, url)
        return
    if job_id is not None and len(chosen) > 1:
        raise click.UsageError("--job names one crawl: give one SOURCE")
    options = CrawlOptions(
        max_articles=max_articles,
        concurrency=concurrency,
        delay=delay,
        trigger=trigger,
        worker=worker,
        job_id=job_id,
        progress=len(chosen) == 1,
        verbose=verbose,
        log_format=log_format,
    )
    if len(chosen) > 1:
        _crawl_together(chosen, obj, options, _jobs(jobs_of))
        return
    summary = crawl(chosen[0], obj.paths(), options)
    for line in summary.lines():
        click.echo(line)


def _echo(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()


def _jobs(jobs_of: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    """`--job-of NAME=JOB_ID:TRIGGER` values (set by `newshub worker`) as a dict."""
    jobs = {}
    for value in jobs_of:
        name, _, rest = value.partition("=")
        job, _, trigger = rest.partition(":")
        if not job.isdigit() or not trigger:
            raise click.UsageError(f"--job-of wants NAME=JOB_ID:TRIGGER, not {value!r}")
        jobs[name] = (int(job), trigger)
    return jobs


def _crawl_together(
    chosen: list[Source], obj: Context, options: Any, jobs: dict[str, tuple[int, str]]
) -> None:
    """Several sources in one process: a line each, the worst outcome as exit status."""
    from crawler.batch import crawl_many, exit_code

    # A line per source as soon as it ends: a daemon or worker reading it learns then.
    outcomes = crawl_many(chosen, obj.paths(), options, jobs, lambda o: _echo(o.line()))
    code = exit_code(outcomes)
    if code:
        raise click.exceptions.Exit(code)


def _dispatch(obj: Context, source: Source, url: str | None) -> None:
    """`crawl SOURCE --dispatch`: one job on the source's queue."""
    from crawler.scheduling.cluster import BROKER_ENV, DEFAULT_QUEUE, broker_url, dispatch, job_app

    if url:
        raise click.UsageError("--dispatch needs a SOURCE from the config file (workers read it)")
    if broker_url() is None:
        raise ConfigError(f"--dispatch needs {BROKER_ENV} (the cluster's job database)")
    app = job_app()
    with app.open():
        job_id = dispatch(app, source, trigger="dispatch")
    queue = source.queue or DEFAULT_QUEUE
    if job_id is None:
        click.echo(f"a crawl of {source.name} is already waiting on queue {queue!r}")
    else:
        click.echo(f"crawl of {source.name} enqueued on queue {queue!r} (job {job_id})")


@main.command()
@click.option("--articles", type=click.IntRange(min=1, max=5000), default=60, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Demo site generator seed.")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=8765,
    show_default=True,
    help="A fixed port keeps article URLs stable across demo runs (0: any free port).",
)
@click.option(
    "--rest-api",
    type=click.Choice(["off", "pretty", "plain"]),
    default="off",
    show_default=True,
    help="Serve a WordPress REST API (/wp-json/, or /?rest_route=/ for plain permalinks).",
)
@click.option(
    "--sitemap-only", is_flag=True, help="Older articles reachable only through the sitemaps."
)
@pass_context
def demo(
    obj: Context, articles: int, seed: int, port: int, rest_api: str, sitemap_only: bool
) -> None:
    """Serve the bundled demo hub on 127.0.0.1 and crawl it with the default settings."""
    from crawler.cli.serve import DEFAULT_URL, serve_command
    from crawler.config import adhoc_source
    from crawler.demo.server import DemoServer
    from crawler.demo.site import DemoHub
    from crawler.runner import CrawlOptions, crawl
    from pipelines.db.engine import safe_url

    paths = obj.paths()
    hub = DemoHub(
        articles=articles,
        seed=seed,
        rest_api="" if rest_api == "off" else rest_api,
        sitemap_only=sitemap_only,
    )
    server = DemoServer(hub, port=port)
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(
            f"cannot serve the demo hub on 127.0.0.1:{port}: {exc.strerror} (try --port 0)"
        ) from None
    with server:
        click.echo(f"demo hub at {server.url}/ ({articles} articles)")
        source = adhoc_source(server.url + "/", "demo")
        summary = crawl(source, paths, CrawlOptions(concurrency=8, delay=0, progress=True))
    for line in summary.lines():
        click.echo(line)
    click.echo(f"WARC files in {paths.warc_dir}/, database at {safe_url(paths.database_url)}")
    click.echo("next: newshub export --source demo | head -n 3")
    click.echo(
        f"browse it: {serve_command()}  (then open {DEFAULT_URL}; "
        "`newshub replay` alongside plays the captures back in it)"
    )
