"""Rows rebuilt for orphans: WARC records whose capture row (and article) never reached the DB.

A crawl writes the WARC record first and the row after it, off the reactor; a database outage
or a killed process in between leaves the record without its row. `verify` finds them; this
rebuilds each capture row from its record and, when the page is an article by the spider's own
rules, the article row too. Rows go through the crawl's upserts, so a second run changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from parsel import Selector
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crawler.discovery import page_kind
from crawler.extraction import SiteRules, extract
from crawler.extraction.decode import decode
from crawler.items import ArticleItem
from crawler.settings import HUB_TRACKING_PARAMS, WARC_DEDUP_MIN_SIZE
from crawler.urls import clean_url
from newshub_archive.reextract import payload_capture, read_page
from newshub_archive.verify import verify
from pipelines.db.models import ArticleRow, Capture, CrawlRun, SourceRow
from pipelines.db.rows import RowWriter
from pipelines.warc.dedup import content_coding, dedup_key
from pipelines.warc.files import safe_name_part
from pipelines.warc.reading import record_at

Rules = Callable[[str], SiteRules | None]


def restore_orphans(
    engine: Engine, warc_dir: Path, *, source: str | None = None, rules: Rules = lambda n: None
) -> Counter[str]:
    """Rebuild the rows of every orphan record; counts captures, new/updated/kept articles and
    'unowned' records (a file no source can be told for: left for a person to look at)."""
    counts: Counter[str] = Counter()
    restored: list[tuple[int, str, Capture]] = []
    for name, orphans in sorted(verify(engine, warc_dir, source=source).orphans.items()):
        owner = _owner(engine, name)
        if owner is None:
            counts["unowned"] += len(orphans)
            continue
        source_id, source_name, run_id = owner
        writer = RowWriter(source_id, run_id)
        with open(warc_dir / name, "rb") as stream:
            rows = [_capture_row(engine, stream, name, *orphan) for orphan in orphans]
        ids = [row["warc_record_id"] for row in rows]
        with engine.begin() as connection:
            # A row that names the record at another offset is verify's to report, not ours.
            taken = set(
                connection.execute(
                    select(Capture.warc_record_id).where(Capture.warc_record_id.in_(ids))
                ).scalars()
            )
            rows = [row for row in rows if row["warc_record_id"] not in taken]
            if rows:
                writer.write_captures(connection, rows)
        counts["captures"] += len(rows)
        with Session(engine, expire_on_commit=False) as session:
            ids = [row["warc_record_id"] for row in rows]
            found = session.scalars(select(Capture).where(Capture.warc_record_id.in_(ids))).all()
            session.expunge_all()
        restored += [(source_id, source_name, capture) for capture in found]
    for source_id, source_name, capture in sorted(restored, key=lambda r: r[2].fetched_at):
        counts[_restore_article(engine, warc_dir, source_id, source_name, capture, rules)] += 1
    counts.pop("not an article", None)
    return counts


def _owner(engine: Engine, name: str) -> tuple[int, str, int | None] | None:
    """(source id, source name, run id) of a WARC file: from its other rows, else its name."""
    sources, captures = SourceRow.__table__, Capture.__table__
    with engine.connect() as connection:
        known = connection.execute(
            select(captures.c.source_id, sources.c.name, captures.c.run_id)
            .join(sources, sources.c.id == captures.c.source_id)
            .where(captures.c.warc_file == name)
            .limit(1)
        ).first()
        if known is not None:
            return known[0], known[1], known[2]
        named = [
            (source_id, source_name)
            for source_id, source_name in connection.execute(select(sources.c.id, sources.c.name))
            if name.startswith(f"{safe_name_part(source_name)}-")
        ]
        if not named:
            return None
        source_id, source_name = max(named, key=lambda owner: len(owner[1]))
        runs = connection.execute(
            select(CrawlRun.id, CrawlRun.warc_files).where(CrawlRun.source_id == source_id)
        )
        run_id = next((run for run, files in runs if name in (files or [])), None)
    return source_id, source_name, run_id


def _capture_row(
    engine: Engine, stream: BinaryIO, name: str, offset: int, length: int
) -> dict[str, Any]:
    """The captures row the crawl would have written for the record at offset."""
    record = record_at(stream, offset)
    assert record is not None  # verify has just read a whole record there
    headers, http = record.rec_headers, record.http_headers
    payload = record.raw_stream.read()
    row: dict[str, Any] = {
        "url": headers.get_header("WARC-Target-URI"),
        "status": int(http.get_statuscode()) if http is not None else 0,
        "content_type": http.get_header("Content-Type") if http is not None else None,
        "fetched_at": datetime.fromisoformat(headers.get_header("WARC-Date")),
        "size": len(payload),
        "payload_digest": headers.get_header("WARC-Payload-Digest"),
        "record_type": record.rec_type,
        "warc_file": name,
        "warc_offset": offset,
        "warc_length": length,
        "warc_record_id": headers.get_header("WARC-Record-ID"),
        "dedup_key": None,
    }
    if record.rec_type == "revisit":  # no payload of its own: size and key are the original's
        with engine.connect() as connection:
            original = connection.execute(
                select(Capture.size, Capture.dedup_key).where(
                    Capture.warc_record_id == headers.get_header("WARC-Refers-To")
                )
            ).first()
        if original is not None:
            row["size"], row["dedup_key"] = original
    elif row["status"] == 200 and len(payload) >= max(WARC_DEDUP_MIN_SIZE, 1):
        coding = content_coding(list(http.headers) if http is not None else [])
        if not headers.get_header("WARC-Truncated"):
            row["dedup_key"] = dedup_key(payload, coding)
    return row


def _restore_article(
    engine: Engine,
    warc_dir: Path,
    source_id: int,
    source_name: str,
    capture: Capture,
    rules: Rules,
) -> str:
    """Extract the article of a restored capture as the spider would; 'kept' when the
    article row already holds this capture or a later one."""
    content_type = (capture.content_type or "").lower()
    if capture.status != 200 or "html" not in content_type:
        return "not an article"
    holder = payload_capture(engine, capture)
    page = read_page(warc_dir, holder.warc_file, holder.warc_offset)
    text, _ = decode(page.body, page.headers, [])
    if page_kind(Selector(text=text), capture.url) != "article":
        return "not an article"
    article = extract(page.body, capture.url, headers=page.headers, rules=rules(source_name))
    article.url = clean_url(article.url, HUB_TRACKING_PARAMS)  # as the spider does
    with engine.begin() as connection:
        last_seen = connection.execute(
            select(ArticleRow.last_seen).where(
                ArticleRow.source_id == source_id, ArticleRow.url == article.url
            )
        ).scalar()
        if last_seen is not None and last_seen >= capture.fetched_at:
            return "kept"
        item = ArticleItem(source_name, article, capture.fetched_at, capture.warc_record_id)
        return RowWriter(source_id).write_article(connection, item)
