"""`newshub search`, `show`, `export` and `verify`: reading the archive back."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler.cli.base import Context, main, output_option, pass_context, source_option
from crawler.cli.output import (
    count_line,
    echo_json,
    echo_rich,
    is_terminal,
    make_table,
    marked,
    progress,
)

F = TypeVar("F", bound=Callable[..., Any])


def filter_options(f: F) -> F:
    """--source/--since/--until/--category/--agency, shared by search and export."""
    for option in reversed(
        (
            click.option("--since", metavar="DATE", help="Published on or after (YYYY-MM-DD)."),
            click.option("--until", metavar="DATE", help="Published on or before (YYYY-MM-DD)."),
            click.option("--category", metavar="NAME", help="Only this category (exact)."),
            click.option("--agency", metavar="NAME", help="Only this agency (exact)."),
        )
    ):
        f = option(f)
    return source_option(f)


def _filter(options: dict[str, Any]) -> Any:
    from newshub_archive.selection import ArticleFilter

    keys = ("source", "since", "until", "category", "agency")
    return ArticleFilter.parse(**{key: options.get(key) for key in keys})


class QueryCommand(click.Command):
    """Reads `-word` as an excluded word, not an option: `newshub search war -oil`.

    Only the command's own option names are options; every other argument (after `--` too)
    is part of the query, in order.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: set[str] = set()
        flags: set[str] = set()
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                names = (*param.opts, *param.secondary_opts)
                (flags if param.is_flag or param.count else takes_value).update(names)
        options: list[str] = []
        words: list[str] = []
        items = iter(args)
        for arg in items:
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if arg == "--":
                words.extend(items)
            elif name in flags or (name in takes_value and name != arg):
                options.append(arg)
            elif name in takes_value:
                options.append(arg)
                value = next(items, None)
                options.extend([] if value is None else [value])
            elif arg.startswith("--"):
                options.append(arg)  # an unknown long option: click says so
            else:
                words.append(arg)
        return super().parse_args(ctx, [*options, "--", *words])


@main.command(cls=QueryCommand)
@click.argument("query", nargs=-1, required=True)
@filter_options
@click.option("--limit", "-n", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@pass_context
def search(obj: Context, query: tuple[str, ...], limit: int, fmt: str, **options: Any) -> None:
    """Full-text search of titles and bodies: words, "phrases", prefix*, OR, -exclude.

    Words after a dash are excluded (`newshub search war -oil`); a query of exclusions alone
    matches nothing and is an error.
    """
    from rich.text import Text

    from newshub_archive.export import plain_value
    from newshub_archive.query_language import only_exclusions
    from newshub_archive.search import MARK, count_matches
    from newshub_archive.search import search as run_search

    text = " ".join(query)
    if only_exclusions(text):
        raise click.ClickException(
            f"{text!r} only excludes words, so it matches nothing: add a word to look for "
            "(e.g. 'war -oil')"
        )
    where = _filter(options)
    engine = obj.archive(where.source)
    hits = [asdict(hit) for hit in run_search(engine, text, where, limit=limit)]
    if fmt == "json":
        echo_json(hits)
    elif fmt == "csv":
        fields = list(hits[0]) if hits else ["id"]
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: plain_value(v) for k, v in hit.items()} for hit in hits)
    elif not hits:
        click.echo("no articles match", err=True)
    else:
        table = make_table("ID", "PUBLISHED", "SOURCE", "TITLE / SNIPPET", right=("ID",))
        styled = is_terminal()
        for hit in hits:
            day = hit["published_at"].date().isoformat() if hit["published_at"] else "-"
            title = Text()
            title.append(hit["title"] or "", style="bold")
            snippet = marked(" ".join(hit["snippet"].split()), *MARK, styled=styled)
            table.add_row(str(hit["id"]), day, hit["source"], title + "\n" + snippet)
        echo_rich(table)
        total = count_matches(engine, text, where)
        click.echo(count_line(len(hits), total, "article"))


@main.command()
@click.argument("ref", metavar="ID|URL")
@click.option("--versions", is_flag=True, help="List every stored version.")
@click.option("--diff", is_flag=True, help="Unified diff of the text between versions.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def show(obj: Context, ref: str, versions: bool, diff: bool, fmt: str) -> None:
    """An article's fields, captures (with WARC locations), versions and replay URL.

    A URL is looked up as given, then cleaned of tracking parameters (utm_*, fbclid, ...).
    Versions are numbered 1..N, oldest first.
    """
    from newshub_archive.export import plain_value
    from newshub_archive.show import show as show_article

    view = show_article(obj.archive(), ref, diff=diff)
    if fmt == "json":
        data: dict[str, Any] = {
            "article": view.article,
            "replay_url": view.replay_url,
            "captures": view.captures,
            "editions": view.editions,
            "history": view.events,
        }
        if versions:
            data["versions"] = view.versions
        if diff:
            data["diffs"] = view.diffs
        echo_json(data)
        return
    article = dict(view.article)
    body = article.pop("body") or ""
    for name, value in article.items():
        shown = ", ".join(value) if isinstance(value, list) else plain_value(value)
        click.echo(f"{name:<18}{'' if shown is None else shown}")
    click.echo(f"{'replay_url':<18}{view.replay_url}\n")
    click.echo(body + "\n")
    click.echo(f"captures ({len(view.captures)})")
    captures = make_table("FETCHED", "STATUS", "TYPE", "WARC FILE", "OFFSET", "RECORD", "URL")
    for c in view.captures:
        captures.add_row(
            *(str(plain_value(c[key])) for key in ("fetched_at", "status", "record_type")),
            *(str(c[key]) for key in ("warc_file", "warc_offset", "warc_record_id", "url")),
        )
    echo_rich(captures)
    if view.editions:
        click.echo(f"editions ({len(view.editions)})")
        for e in view.editions:
            click.echo(f"  {e['language'] or '?':<8}{e['id']:>8}  {e['url']}")
    if view.events:
        click.echo(f"history ({len(view.events)})")
        history = make_table("WHEN", "EVENT", "HOW", "FROM", "TO")
        for e in view.events:
            history.add_row(
                str(plain_value(e["at"])),
                e["kind"],
                e["detail"] or "",
                e["old_url"] or "",
                e["new_url"] or "",
            )
        echo_rich(history)
    click.echo(f"versions ({len(view.versions)})" + ("" if versions else ": --versions lists"))
    if versions and view.versions:
        table = make_table("VERSION", "CAPTURED", "HASH", "EXTRACTOR", "RECORD", right=("VERSION",))
        for v in view.versions:
            table.add_row(
                str(v["version"]),
                str(plain_value(v["captured_at"])),
                v["content_hash"][:12],
                v["extractor_version"],
                str(v["warc_record_id"]),
            )
        echo_rich(table)
    for text in view.diffs:
        click.echo("\n" + (text or "(no text changes)"))


@main.command()
@filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl")
@output_option("File (default: stdout); a missing folder is created.")
@click.option(
    "--warc",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Instead of rows, write the selected articles' WARC records to FILE (.warc.gz).",
)
@pass_context
def export(obj: Context, fmt: str, output: str | None, warc: str | None, **options: Any) -> None:
    """Stream article rows as JSON Lines, CSV or Parquet, or their WARC records (--warc)."""
    from newshub_archive.export import count_articles, export_warc
    from newshub_archive.export import export as export_rows

    where = _filter(options)
    if warc and output:
        raise click.ClickException("--warc names the output file: leave out --output")
    engine = obj.archive(where.source)
    if warc:
        Path(warc).parent.mkdir(parents=True, exist_ok=True)
        with open(warc, "wb") as out:
            done = export_warc(engine, obj.paths().warc_dir, out, where)
        for problem in done.problems:
            click.echo(f"Error: {problem}", err=True)
        click.echo(
            f"{done.records} records ({done.bytes:,} bytes) of {done.articles} articles "
            f"written to {warc}",
            err=True,
        )
        if done.problems:
            sys.exit(1)
        return
    binary = fmt == "parquet"
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        mode, encoding, newline = ("wb", None, None) if binary else ("w", "utf-8", "")
        with (
            open(output, mode, encoding=encoding, newline=newline) as out,
            progress("exporting", count_articles(engine, where)) as advance,
        ):
            count = export_rows(engine, out, fmt=fmt, where=where, advance=advance)
        click.echo(f"{count} articles written to {output}", err=True)
    elif binary and sys.stdout.isatty():
        raise click.ClickException("Parquet is binary: give --output FILE or redirect stdout")
    else:
        export_rows(engine, sys.stdout.buffer if binary else sys.stdout, fmt=fmt, where=where)


@main.command()
@source_option
@click.option("--deep", is_flag=True, help="Also recompute every block and payload digest.")
@pass_context
def verify(obj: Context, source: str | None, deep: bool) -> None:
    """Check that every capture's WARC record is where the database says, and intact."""
    from newshub_archive.verify import verify as audit

    engine = obj.archive(source)
    with progress("verifying WARC files" + (" (deep)" if deep else ""), None):
        report = audit(engine, obj.paths().warc_dir, source=source, deep=deep)
    for problem in report.problems:
        click.echo(str(problem))
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)
