"""The `newshub` command line: thin wrappers over library functions.

Every expected failure (bad config, unreachable database or site) ends in one line on stderr
and a non-zero exit; tracebacks are for bugs, and even those are folded unless asked for.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler import __version__
from crawler.config import ConfigError, Paths, Source, config_path, load_sources, resolve_paths
from crawler.errors import NewshubError

F = TypeVar("F", bound=Callable[..., Any])

EX_SOFTWARE = 70  # sysexits: an internal error


class NewshubGroup(click.Group):
    """Turns newshub's own exceptions into `Error: <one line>` and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewshubError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
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
        from pipelines.db import open_engine

        return open_engine(self.paths().database_url)


pass_context = click.make_pass_decorator(Context)


def source_option(f: F) -> F:
    """`--source NAME`, shared by the commands that filter by source."""
    return click.option("--source", "-s", metavar="NAME", help="Only this source.")(f)


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


@main.group()
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_context
def db_upgrade(obj: Context, revision: str) -> None:
    """Migrate the schema up to REVISION (default: head)."""
    from pipelines import schema

    engine = obj.engine()
    schema.upgrade(engine, revision)
    click.echo(f"database at revision {schema.current_revision(engine)}")


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(obj: Context, revision: str) -> None:
    """Migrate the schema down to REVISION ('base' removes every table)."""
    from pipelines import schema

    engine = obj.engine()
    schema.downgrade(engine, revision)
    click.echo(f"database at revision {schema.current_revision(engine) or 'base'}")


@db.command("current")
@pass_context
def db_current(obj: Context) -> None:
    """Print the schema revision of the database."""
    from pipelines import schema

    current = schema.current_revision(obj.engine())
    head = schema.head_revision()
    state = "up to date" if current == head else f"head is {head}"
    click.echo(f"{current or 'base'} ({state})")


@db.command("check")
@pass_context
def db_check(obj: Context) -> None:
    """Fail when the database schema differs from the models (Alembic autogenerate)."""
    from pipelines import schema

    problem = schema.drift(obj.engine())
    if problem:
        raise click.ClickException(problem.splitlines()[0])
    click.echo("no drift: the database matches the models")


@main.command()
@pass_context
def sources(obj: Context) -> None:
    """List the configured sources."""
    configured = obj.sources()
    if not configured:
        click.echo("no sources configured")
        return
    for source in configured.values():
        schedule = source.schedule or "-"
        click.echo(f"{source.name}\t{source.home}\t{schedule}\t{','.join(source.domains)}")


@main.command()
@click.argument("source_name", required=False, metavar="SOURCE")
@click.option("--url", metavar="HOME_URL", help="Crawl a hub that is not in the config file.")
@click.option("--name", metavar="NAME", help="Source name for --url (default: the host).")
@click.option("--max-articles", type=click.IntRange(min=1), help="Stop after N articles.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight per site.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests.")
@click.option(
    "--trigger",
    type=click.Choice(["manual", "cron", "daemon"]),
    default="manual",
    help="What started this run (recorded in crawl_runs).",
)
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's log.")
@pass_context
def crawl(
    obj: Context,
    source_name: str | None,
    url: str | None,
    name: str | None,
    max_articles: int | None,
    concurrency: int | None,
    delay: float | None,
    trigger: str,
    verbose: bool,
) -> None:
    """Crawl SOURCE from the config file, or an ad-hoc hub given with --url."""
    if bool(source_name) == bool(url):
        raise click.UsageError("give either SOURCE or --url HOME_URL")
    from crawler.config import adhoc_source
    from crawler.runner import CrawlOptions, crawl

    if url:
        source = adhoc_source(url, name)
    else:
        configured = obj.sources()
        if source_name not in configured:
            known = ", ".join(sorted(configured)) or "none configured"
            raise ConfigError(f"no source named {source_name!r} (known: {known})")
        source = configured[source_name]
    options = CrawlOptions(
        max_articles=max_articles,
        concurrency=concurrency,
        delay=delay,
        trigger=trigger,
        progress=True,
        log_level="INFO" if verbose else "WARNING",
    )
    summary = crawl(source, obj.paths(), options)
    for line in summary.lines():
        click.echo(line)


@main.command()
@source_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
@pass_context
def export(obj: Context, source: str | None, fmt: str, output: str | None) -> None:
    """Stream article rows as JSON Lines or CSV."""
    from pipelines.export import export as export_rows

    engine = obj.engine()
    if output:
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = export_rows(engine, out, fmt=fmt, source=source)
        click.echo(f"{count} articles written to {output}", err=True)
    else:
        export_rows(engine, sys.stdout, fmt=fmt, source=source)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--url", metavar="URL", help="The page's URL (resolves links; default: file://).")
def extract(files: tuple[str, ...], url: str | None) -> None:
    """Extract articles from saved HTML files (plain or .gz), one JSON object per file."""
    from crawler.extraction import extract as extract_article

    failed = 0
    for name in files:
        path = Path(name)
        try:
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            click.echo(f"Error: {name}: {getattr(exc, 'strerror', None) or exc}", err=True)
            failed += 1
            continue
        article = extract_article(raw, url or path.resolve().as_uri())
        click.echo(json.dumps({"file": name, **article.to_json()}, ensure_ascii=False))
    if failed:
        sys.exit(1)


@main.command()
@click.option("--articles", type=click.IntRange(min=1, max=5000), default=60, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Demo site generator seed.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=0, help="0: any free port.")
@pass_context
def demo(obj: Context, articles: int, seed: int, port: int) -> None:
    """Serve the bundled demo hub on 127.0.0.1 and crawl it with the default settings."""
    from crawler.config import adhoc_source
    from crawler.demo.server import DemoServer
    from crawler.demo.site import DemoHub
    from crawler.runner import CrawlOptions, crawl
    from pipelines.db import safe_url

    paths = obj.paths()
    with DemoServer(DemoHub(articles=articles, seed=seed), port=port) as server:
        click.echo(f"demo hub at {server.url}/ ({articles} articles)")
        source = adhoc_source(server.url + "/", "demo")
        summary = crawl(source, paths, CrawlOptions(concurrency=8, delay=0, progress=True))
    for line in summary.lines():
        click.echo(line)
    click.echo(f"WARC files in {paths.warc_dir}/, database at {safe_url(paths.database_url)}")
    click.echo("next: newshub export --source demo | head -n 3")


if __name__ == "__main__":
    main()
