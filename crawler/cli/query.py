"""`newshub search`, `show`, `stats`, `export` and `verify`: reading the archive back."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

import click

from crawler.cli.base import Context, main, pass_context, source_option

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


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain)


@main.command()
@click.argument("query")
@filter_options
@click.option("--limit", "-n", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@pass_context
def search(obj: Context, query: str, limit: int, fmt: str, **options: Any) -> None:
    """Full-text search of titles and bodies: words, "phrases", prefix*, OR, -exclude."""
    from newshub_archive.search import search as run_search

    where = _filter(options)
    hits = [asdict(hit) for hit in run_search(obj.engine(), query, where, limit=limit)]
    if fmt == "json":
        click.echo(_json(hits))
    elif fmt == "csv":
        fields = list(hits[0]) if hits else ["id"]
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _plain(v) for k, v in hit.items()} for hit in hits)
    elif not hits:
        click.echo("no articles match", err=True)
    else:
        width = len(str(max(hit["id"] for hit in hits)))
        for hit in hits:
            day = hit["published_at"].date().isoformat() if hit["published_at"] else "-" * 10
            click.echo(f"{hit['id']:>{width}}  {day}  {hit['source']}  {hit['title'] or ''}")
            click.echo(" " * (width + 2) + " ".join(hit["snippet"].split()))


@main.command()
@click.argument("ref", metavar="ID|URL")
@click.option("--versions", is_flag=True, help="List every stored version.")
@click.option("--diff", is_flag=True, help="Unified diff of the text between versions.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def show(obj: Context, ref: str, versions: bool, diff: bool, fmt: str) -> None:
    """An article's fields, captures (with WARC locations), versions and replay URL."""
    from newshub_archive.show import show as show_article

    view = show_article(obj.engine(), ref, diff=diff)
    if fmt == "json":
        data: dict[str, Any] = {
            "article": view.article,
            "replay_url": view.replay_url,
            "captures": view.captures,
        }
        if versions:
            data["versions"] = view.versions
        if diff:
            data["diffs"] = view.diffs
        click.echo(_json(data))
        return
    article = dict(view.article)
    body = article.pop("body") or ""
    for name, value in article.items():
        shown = ", ".join(value) if isinstance(value, list) else _plain(value)
        click.echo(f"{name:<18}{'' if shown is None else shown}")
    click.echo(f"{'replay_url':<18}{view.replay_url}\n")
    click.echo(body + "\n")
    click.echo(f"captures ({len(view.captures)})")
    for c in view.captures:
        click.echo(
            f"  {_plain(c['fetched_at'])}  {c['status']}  {c['record_type']:<8}  "
            f"{c['warc_file']} @ {c['warc_offset']}  {c['warc_record_id']}  {c['url']}"
        )
    click.echo(f"versions ({len(view.versions)})" + ("" if versions else ": --versions lists"))
    for v in view.versions if versions else []:
        click.echo(
            f"  {v['id']}  {_plain(v['captured_at'])}  {v['content_hash'][:12]}  "
            f"{v['extractor_version']}  {v['warc_record_id']}"
        )
    for text in view.diffs:
        click.echo("\n" + (text or "(no text changes)"))


@main.command()
@source_option
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def stats(obj: Context, source: str | None, days: int, fmt: str) -> None:
    """Articles per source, category, agency and day; captures, WARC bytes, last good run."""
    from newshub_archive.stats import stats as archive_stats

    report = archive_stats(obj.engine(), source, warc_dir=obj.paths().warc_dir, days=days)
    if fmt == "json":
        click.echo(_json(asdict(report)))
        return
    rows = [("source", "articles", "captures", "warc files", "warc bytes", "last successful run")]
    for s in report.sources:
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
        rows.append((s.name, str(s.articles), str(s.captures), str(s.warc_files), size, last))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[5]]))
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
@filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option(
    "--warc",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Instead of rows, write the selected articles' WARC records to FILE (.warc.gz).",
)
@pass_context
def export(obj: Context, fmt: str, output: str | None, warc: str | None, **options: Any) -> None:
    """Stream article rows as JSON Lines, CSV or Parquet, or their WARC records (--warc)."""
    from newshub_archive.export import export as export_rows
    from newshub_archive.export import export_warc

    where = _filter(options)
    if warc:
        if output:
            raise click.ClickException("--warc names the output file: leave out --output")
        with open(warc, "wb") as out:
            done = export_warc(obj.engine(), obj.paths().warc_dir, out, where)
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
    engine = obj.engine()
    binary = fmt == "parquet"
    if output:
        mode, encoding, newline = ("wb", None, None) if binary else ("w", "utf-8", "")
        with open(output, mode, encoding=encoding, newline=newline) as out:
            count = export_rows(engine, out, fmt=fmt, where=where)
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

    report = audit(obj.engine(), obj.paths().warc_dir, source=source, deep=deep)
    for problem in report.problems:
        click.echo(str(problem))
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)
