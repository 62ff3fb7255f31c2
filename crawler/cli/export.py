"""`newshub export` and `newshub extract`."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import click

from crawler.cli.base import Context, main, pass_context, source_option


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
