"""`newshub worker`: run the crawls a cluster's scheduler dispatches (NEWSHUB_BROKER_URL)."""

from __future__ import annotations

import logging
import os

import click

from crawler.cli.base import (
    Context,
    crawls_per_process_option,
    log_format_option,
    main,
    pass_context,
)
from crawler.config import ConfigError, config_path


@main.command()
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    envvar="NEWSHUB_MAX_CONCURRENT_CRAWLS",
    help="Crawl processes run at once (max_concurrent_crawls; default from the host's cores "
    "and memory).",
)
@click.option(
    "--queues",
    "-q",
    metavar="Q[,Q...]",
    envvar="NEWSHUB_WORKER_QUEUES",
    help="Only run crawls of these queues (a source's `queue` in newshub.toml; default: all).",
)
@click.option(
    "--stalled-after",
    type=click.FloatRange(min=1),
    help="Seconds without a worker's heartbeat before its crawl is delivered again (60).",
)
@click.option(
    "--stop-grace",
    type=click.FloatRange(min=0),
    help="Seconds running crawls get to finish after SIGTERM (default 60).",
)
@crawls_per_process_option
@log_format_option
@pass_context
def worker(
    obj: Context,
    concurrency: int | None,
    queues: str | None,
    stalled_after: float | None,
    stop_grace: float | None,
    crawls_per_process: int | None,
    log_format: str,
) -> None:
    """Run crawls enqueued by `newshub schedule run` and `crawl --dispatch` (for systemd).

    Needs NEWSHUB_BROKER_URL, the PostgreSQL database of the cluster's jobs. Crawls taken
    together run in one crawl process, up to --crawls-per-process; a crawl whose worker dies
    is delivered again to a live one.
    """
    from crawler import settings as defaults
    from crawler.log_format import use_json_logs
    from crawler.scheduling.cluster import BROKER_ENV, broker_url, job_app
    from crawler.scheduling.density import max_concurrent_crawls
    from crawler.scheduling.worker import WorkerOptions, run_worker

    if broker_url() is None:
        raise ConfigError(f"newshub worker needs {BROKER_ENV} (the cluster's job database)")
    obj.sources()  # the config file every crawl reads must be there and valid
    stalled = stalled_after or defaults.WORKER_STALLED_AFTER
    options = WorkerOptions(
        config_file=config_path(obj.config).resolve(),
        concurrency=max_concurrent_crawls(concurrency),
        queues=tuple(q.strip() for q in (queues or "").split(",") if q.strip()),
        heartbeat=stalled / 3,
        stalled_after=stalled,
        stop_grace=defaults.SCHEDULER_STOP_GRACE if stop_grace is None else stop_grace,
        crawls_per_process=crawls_per_process or defaults.CRAWLS_PER_PROCESS,
    )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if log_format == "json":
        os.environ["NEWSHUB_LOG_FORMAT"] = "json"  # the crawls it starts log JSON too
        use_json_logs()
    run_worker(job_app(), options)
