"""Extraction commands; `newshub export` lives with the other read commands in query.py."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import click

from crawler.cli.base import Context, main, pass_context, source_option
from crawler.cli.output import progress


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
@source_option
@click.option(
    "--orphans",
    is_flag=True,
    help="Only rebuild the rows of WARC records no capture row points at (see verify).",
)
@pass_context
def reextract(obj: Context, source: str | None, orphans: bool) -> None:
    """Rebuild article rows from the archived WARC records (no network)."""
    from crawler.extraction import SiteRules
    from newshub_archive.export import count_articles
    from newshub_archive.orphans import restore_orphans
    from newshub_archive.reextract import reextract as reextract_archive
    from newshub_archive.selection import ArticleFilter

    configured = obj.sources(required=False)
    rules = {
        name: SiteRules.from_mapping(src.rules) for name, src in configured.items() if src.rules
    }
    engine = obj.archive(source)
    if orphans:
        counts = restore_orphans(engine, obj.paths().warc_dir, source=source, rules=rules.get)
        click.echo(
            f"{counts['captures']} capture rows restored; articles: {counts['new']} new, "
            f"{counts['updated']} updated, {counts['unchanged'] + counts['kept']} unchanged"
        )
        if counts["unowned"]:
            raise click.ClickException(
                f"{counts['unowned']} records are in WARC files no source owns; left alone"
            )
        return
    total = count_articles(engine, ArticleFilter(source=source))
    with progress("re-extracting", total) as advance:
        counts = reextract_archive(
            engine, obj.paths().warc_dir, source=source, rules=rules.get, advance=advance
        )
    click.echo(
        f"{counts['updated']} articles changed, {counts['unchanged']} unchanged"
        + (
            f", {counts['missing']} records missing (run newshub verify)"
            if counts["missing"]
            else ""
        )
    )
