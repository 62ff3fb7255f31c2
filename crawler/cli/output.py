"""What the CLI prints for people and for scripts: one table and progress printer (rich), JSON.

rich is imported where it is used: `--help` and the daemon's crawl processes start faster.

On a terminal tables get bold headers and progress bars draw on stderr; piped or under cron the
same tables come out as plain aligned text (no colour, no wrapping, no trailing blanks) and
progress bars stay silent. `--format json` output goes through `echo_json`.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

# Piped output is never wrapped: a script or a log keeps one row per line.
PIPED_WIDTH = 4096
FORMAT_HELP = "Output: a table for people, json for scripts."


def format_option(*choices: str, default: str = "table") -> Callable[[Any], Any]:
    """`--format` with the given choices (the first is the default)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help=FORMAT_HELP,
    )


def echo_json(data: Any) -> None:
    """Indented JSON, datetimes as ISO 8601, non-ASCII text kept as is."""
    from newshub_archive.export import plain_value

    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=plain_value))


def make_table(*columns: str, right: Sequence[str] = ()) -> Table:
    """A borderless table with a bold header; columns named in `right` are right-aligned."""
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for name in columns:
        table.add_column(name, justify="right" if name in right else "left", overflow="fold")
    return table


def echo_rich(renderable: Any, *, err: bool = False) -> None:
    """Print a rich renderable: styled on a terminal, plain aligned text otherwise."""
    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    if stream.isatty():
        Console(file=stream, highlight=False).print(renderable)
        return
    buffer = io.StringIO()
    console = Console(file=buffer, width=PIPED_WIDTH, color_system=None, highlight=False)
    console.print(renderable)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    click.echo("\n".join(lines), err=err)


def count_line(shown: int, total: int, noun: str) -> str:
    """'20 of 1,342 articles', or '3 articles' when every one is shown."""
    plural = noun if total == 1 else noun + "s"
    return f"{total:,} {plural}" if shown >= total else f"{shown:,} of {total:,} {plural}"


def marked(text: str, start: str, stop: str, *, styled: bool) -> Text:
    """Snippet text whose `start`...`stop` marks become bold (the marks stay when unstyled)."""
    from rich.text import Text

    result = Text()
    rest = text
    while (begin := rest.find(start)) >= 0 and (end := rest.find(stop, begin + 1)) >= 0:
        result.append(rest[:begin])
        inner = rest[begin + len(start) : end]
        if styled:
            result.append(inner, style="bold yellow")
        else:
            result.append(start + inner + stop)
        rest = rest[end + len(stop) :]
    result.append(rest)
    return result


def is_terminal(err: bool = False) -> bool:
    return (sys.stderr if err else sys.stdout).isatty()


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while the block runs; yields `advance(n)`. Silent off a TTY."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not is_terminal(err=True),
    )
    with bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


@contextmanager
def status_line(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner with elapsed time on stderr; yields `show(line)` to print the latest step."""
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    started = time.monotonic()
    with console.status(description) as status:

        def show(line: str) -> None:
            status.update(f"{description} ({time.monotonic() - started:.0f} s): {line[:80]}")

        yield show
