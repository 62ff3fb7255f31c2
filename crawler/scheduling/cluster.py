"""Crawls as jobs of Procrastinate, the job engine on the PostgreSQL database a cluster shares.

With NEWSHUB_BROKER_URL set (the PostgreSQL URL of the jobs' database, normally the archive's
own), `newshub schedule run` and `newshub crawl SOURCE --dispatch` enqueue a job per crawl, and
`newshub worker` processes on any host run them (crawler.scheduling.worker). Why Procrastinate
and not Celery is in docs/scaling.md. A job holds Procrastinate's lock named after the source,
and its queueing lock too, so one source has at most one crawl waiting and none running twice;
the per-source run lock of crawler.locks stays the guarantee across every way to start a crawl.

Procrastinate is the optional extra `newshub[cluster]`; nothing here is imported without it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crawler.config import ConfigError, Source
from crawler.errors import NewshubError

logger = logging.getLogger(__name__)

BROKER_ENV = "NEWSHUB_BROKER_URL"
TASK_NAME = "newshub.crawl"
DEFAULT_QUEUE = "default"  # Procrastinate's own default queue name


class DispatchFailed(NewshubError):
    """A crawl could not be put on the job queue."""


def broker_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The jobs' PostgreSQL URL from NEWSHUB_BROKER_URL; None when unset (crawl locally).

    Errors name the problem and never show the URL's password.
    """
    value = (os.environ if environ is None else environ).get(BROKER_ENV, "").strip()
    if not value:
        return None
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(f"{BROKER_ENV} is not a database URL") from None
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"{BROKER_ENV} must be a postgresql:// URL (newshub's jobs live in PostgreSQL, "
            f"see docs/scaling.md), got a {url.get_backend_name()!r} URL"
        )
    return value


def conninfo(url: str) -> str:
    """A libpq connection string from a SQLAlchemy URL (`postgresql+psycopg://` too)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def make_app(url: str) -> Any:
    """A Procrastinate app on the jobs' database, with the crawl task registered."""
    try:
        import procrastinate
    except ImportError:
        raise ConfigError(
            f"{BROKER_ENV} is set but the job engine is not installed: "
            "pip install 'newshub[cluster]'"
        ) from None
    from crawler.scheduling.worker import run_crawl_job

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)),
    )
    app.task(name=TASK_NAME, pass_context=True)(run_crawl_job)
    return app


def ensure_job_schema(app: Any, engine: Any) -> bool:
    """Create Procrastinate's tables in the jobs' database unless they exist; True if created.

    Call it holding crawler.locks.schema_lock on that database, so two hosts starting at
    once don't both create them.
    """
    from sqlalchemy import inspect

    if inspect(engine).has_table("procrastinate_jobs"):
        return False
    app.schema_manager.apply_schema()
    logger.info("created the job engine's tables (procrastinate_*)")
    return True


def dispatch(app: Any, source: Source, *, trigger: str) -> int | None:
    """Enqueue one crawl of `source` on its queue; its job id, or None when one is waiting.

    Call it inside `app.open()`. A crawl of the source that is running does not stop a new
    one from waiting (it starts once the running one ends and frees the source's lock).
    """
    from procrastinate.exceptions import AlreadyEnqueued, ConnectorException

    task = app.tasks[TASK_NAME]
    try:
        return int(
            task.configure(
                queue=source.queue or DEFAULT_QUEUE,
                lock=source.name,
                queueing_lock=source.name,
            ).defer(source=source.name, trigger=trigger, timeout=timeout_of(source))
        )
    except AlreadyEnqueued:
        logger.info("a crawl of %s is already waiting for a worker", source.name)
        return None
    except ConnectorException as exc:
        raise DispatchFailed(f"cannot enqueue the crawl of {source.name}: {exc}") from None


def timeout_of(source: Source) -> float:
    """Seconds a worker lets the source's crawl run (its `timeout`, else SCHEDULER_TIMEOUT)."""
    from crawler import settings as defaults

    return float(source.timeout or defaults.SCHEDULER_TIMEOUT)


def job_app() -> Any:
    """The app on NEWSHUB_BROKER_URL's database, its tables created on first use."""
    from crawler.locks import schema_lock
    from pipelines.db.engine import open_engine

    url = broker_url()
    if url is None:
        raise ConfigError(f"{BROKER_ENV} is not set (the cluster's job database)")
    app = make_app(url)
    engine = open_engine(url)
    try:
        with schema_lock(engine), app.open():
            ensure_job_schema(app, engine)
    finally:
        engine.dispose()
    return app


def __getattr__(name: str) -> Any:
    """`crawler.scheduling.cluster.app`, built on first access from NEWSHUB_BROKER_URL, for
    Procrastinate's own command line: `procrastinate --app=crawler.scheduling.cluster.app
    shell` (nothing is built or opened at import)."""
    if name == "app":
        url = broker_url()
        if url is None:
            raise ConfigError(f"{BROKER_ENV} is not set (the cluster's job database)")
        return make_app(url)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
