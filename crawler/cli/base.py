"""The `newshub` command line: thin wrappers over library functions.

Every expected failure (bad config, unreachable database or site) ends in one line on stderr
and a non-zero exit; tracebacks are for bugs, and even those are folded unless asked for.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from crawler import __version__
from crawler.config import Paths, Source, config_path, load_sources, resolve_paths
from crawler.errors import NewshubError
from crawler.log_format import LOG_FORMATS

F = TypeVar("F", bound=Callable[..., Any])

EX_SOFTWARE = 70  # sysexits: an internal error


class NewshubGroup(click.Group):
    """Turns newshub's own exceptions into `Error: <one line>` and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewshubError as exc:
            error = click.ClickException(str(exc))
            # An error may carry its own exit status (e.g. 75, EX_TEMPFAIL, for a skipped run).
            error.exit_code = getattr(exc, "exit_code", error.exit_code)  # type: ignore[misc]
            raise error from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except BrokenPipeError:
            # `newshub export | head`: the reader left; stop quietly like other Unix tools.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            if os.environ.get("NEWSHUB_DEBUG"):
                raise
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {exc} "
                "(set NEWSHUB_DEBUG=1 for the traceback)",
                err=True,
            )
            sys.exit(EX_SOFTWARE)


class Context:
    """What every command may need, resolved lazily so `--help` never touches the disk."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    def paths(self) -> Paths:
        return resolve_paths()

    def sources(self, required: bool = True) -> dict[str, Source]:
        return load_sources(config_path(self.config), required=required)

    def engine(self) -> Any:
        """The database, created (SQLite) and reachable: for commands that write."""
        from pipelines.db.engine import open_engine

        return open_engine(self.paths().database_url)

    def archive(self, source: str | None = None, *, empty_ok: bool = False) -> Any:
        """The migrated database of a read command, after checking that `source` exists.

        Creates nothing; a missing or unmigrated database and an unknown source are one-line
        errors (`run 'newshub db upgrade' first`, `no source named 'x'; configured: a, b`).
        With `empty_ok`, no database yet gives None instead (nothing was archived).
        """
        from newshub_archive.selection import check_source
        from pipelines.db.engine import MissingDatabase
        from pipelines.db.schema import open_archive

        try:
            engine = open_archive(self.paths().database_url)
        except MissingDatabase:
            if empty_ok:
                return None
            raise
        try:
            check_source(engine, source, self.sources(required=False))
        except BaseException:  # an unknown source (or Ctrl-C): close the engine, re-raise
            engine.dispose()
            raise
        return engine


pass_context = click.make_pass_decorator(Context)


def source_option(f: F) -> F:
    """`--source NAME`, shared by the commands that filter by source."""
    return click.option("--source", "-s", metavar="NAME", help="Only this source.")(f)


def output_option(help: str) -> Callable[[F], F]:
    """`--output/-o FILE`, shared by the commands that write a file; `help` says the default."""
    return click.option("--output", "-o", type=click.Path(dir_okay=False), help=help)


@click.group(cls=NewshubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    metavar="PATH",
    help="Sources file (default: $NEWSHUB_CONFIG or ./newshub.toml).",
)
@click.version_option(__version__, prog_name="newshub")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Crawl news hubs into WARC files and a queryable article database."""
    ctx.obj = Context(config)


def log_format_option(f: F) -> F:
    """`--log-format human|json`, also from NEWSHUB_LOG_FORMAT (the daemon's crawls inherit it)."""
    return click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        default="human",
        show_default=True,
        envvar="NEWSHUB_LOG_FORMAT",
        help="json: one JSON object per log line, with source and run id.",
    )(f)


def crawls_per_process_option(f: F) -> F:
    """`--crawls-per-process N`: sources crawled together in one process (schedule run, worker)."""
    return click.option(
        "--crawls-per-process",
        type=click.IntRange(min=1),
        envvar="NEWSHUB_CRAWLS_PER_PROCESS",
        help="Due crawls run together in one crawl process, one reactor (default 8; 1: a "
        "process per source).",
    )(f)
