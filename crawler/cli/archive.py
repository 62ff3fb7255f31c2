"""`newshub index`, `wacz`, `replay` and `warc recover`: the WARC files as an archive."""

from __future__ import annotations

import signal
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.cli.base import Context, main, output_option, pass_context, source_option
from crawler.cli.output import progress, status_line


@main.command()
@source_option
@output_option("Index file (default: <data>/index.cdxj; '-' for stdout).")
@pass_context
def index(obj: Context, source: str | None, output: str | None) -> None:
    """Write a sorted CDXJ index of every closed WARC file (pywb, ReplayWeb.page)."""
    from newshub_archive.cdxj import warc_files, write_index, write_index_file

    paths = obj.paths()
    warcs = warc_files(paths.warc_dir, source)
    if not warcs:
        raise click.ClickException(f"no WARC files{_of(source)} in {paths.warc_dir}")
    if output == "-":
        write_index(warcs, sys.stdout)
        return
    target = Path(output) if output else paths.data_dir / "index.cdxj"
    with progress(f"indexing {len(warcs)} WARC files", None):
        lines = write_index_file(warcs, target)
    click.echo(f"{lines} index lines from {len(warcs)} WARC files written to {target}")


@main.command()
@source_option
@output_option("WACZ file (default: <data>/SOURCE.wacz, or newshub.wacz).")
@click.option("--title", metavar="TEXT", help="Title of the package.")
@pass_context
def wacz(obj: Context, source: str | None, output: str | None, title: str | None) -> None:
    """Package WARCs, index and one page per article as a WACZ file (ReplayWeb.page)."""
    from newshub_archive.wacz import WaczError, write_wacz

    paths = obj.paths()
    target = Path(output) if output else paths.data_dir / f"{source or 'newshub'}.wacz"
    engine = obj.archive()  # an unknown source is write_wacz's "no WARC files of source"
    try:
        with progress("packaging WACZ", None):
            summary = write_wacz(engine, paths.warc_dir, target, source=source, title=title)
    except WaczError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{summary.path}: {summary.warcs} WARC files, {summary.pages} pages, {summary.size:,} bytes"
    )


@main.command()
@click.option(
    "--port",
    "-p",
    type=click.IntRange(min=0, max=65535),
    help="Port on 127.0.0.1 (default: the port of NEWSHUB_REPLAY_URL, else 8080; 0: any).",
)
@click.option(
    "--install/--no-install",
    default=None,
    help="--install: install pywb now (usually 1-2 minutes) and exit; --no-install: never "
    "install it. Default: install it on first use.",
)
@pass_context
def replay(obj: Context, port: int | None, install: bool | None) -> None:
    """Serve the archive with pywb on 127.0.0.1, its index following new WARC files.

    Exits non-zero if pywb cannot start (port taken) or stops on its own.
    """
    from newshub_archive.replay import ReplayError, ReplayServer
    from newshub_archive.replay_urls import replay_base

    paths = obj.paths()
    wayback = _wayback(paths.data_dir, install)
    if install:
        click.echo(f"pywb is installed: {wayback}")
        return
    configured = replay_base()
    if port is None:
        port = urlsplit(configured).port or 80
    server = ReplayServer(paths.warc_dir, paths.data_dir / "replay", wayback, port=port)
    server.start()
    # A service manager stops us with SIGTERM: stop pywb too rather than orphan it.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        click.echo(f"pywb serves {paths.warc_dir} at {server.base}/ (log: {server.log_path})")
        click.echo(f"open an article at {server.base}/TIMESTAMP/URL, e.g.")
        example = _example_article(obj)
        if example is not None:
            click.echo(f"  {server.url(example[1], example[0])}")
        root = server.base.rsplit("/", 1)[0]
        if root != configured:
            click.echo(
                f"(export and show link to {configured}: set NEWSHUB_REPLAY_URL={root} "
                "to link them here)"
            )
        click.echo("(newshub export lists every article's replay_url; Ctrl-C stops)")
        code = server.wait()
        if code != 0:
            raise ReplayError(f"pywb stopped with status {code} (log: {server.log_path})")
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


def _wayback(data_dir: Path, install: bool | None) -> Path:
    """pywb's `wayback`, installed (with a progress line on a terminal) unless --no-install."""
    from newshub_archive.replay import (
        INSTALL_TIME,
        PYWB_REQUIREMENT,
        ensure_wayback,
        find_wayback,
        pywb_venv,
    )

    venv = pywb_venv(data_dir).absolute()
    wayback = find_wayback(venv)
    if wayback is not None:
        return wayback.absolute()
    if install is False:
        raise click.ClickException(
            f"pywb not found (looked in {venv}, PATH): run 'newshub replay --install'"
        )
    click.echo(f"installing {PYWB_REQUIREMENT} into {venv} (once; {INSTALL_TIME})...", err=True)
    with status_line("installing pywb") as show:
        return ensure_wayback(venv, on_line=show).absolute()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.group()
def warc() -> None:
    """WARC file maintenance."""


@warc.command("recover")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def warc_recover(directory: str | None) -> None:
    """Close WARC files a killed crawl left ``.open`` (default folder: <data>/warcs)."""
    from crawler.config import resolve_paths
    from pipelines.warc.recover import recover

    folder = Path(directory) if directory else resolve_paths().warc_dir
    if not folder.is_dir():
        raise click.ClickException(f"no WARC folder at {folder}: give the folder of a crawl")
    results = recover(folder)
    for result in results:
        click.echo(
            f"{result.action}\t{result.path}\t{result.records} records kept, "
            f"{result.dropped_bytes} bytes dropped"
        )
    if not results:
        click.echo(f"nothing to recover in {folder}")
    if any(result.action == "conflict" for result in results):
        sys.exit(1)


def _example_article(obj: Context) -> tuple[str, datetime] | None:
    """The newest article's archived URL and capture time, if the database can tell."""
    from newshub_archive.replay import latest_article

    try:
        return latest_article(obj.archive())
    except Exception:  # only an example: the server runs without the database
        return None


def _of(source: str | None) -> str:
    return f" of source {source!r}" if source else ""
