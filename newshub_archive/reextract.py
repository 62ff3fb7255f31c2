"""Rebuild article rows from the WARC records already archived: no network, same rules.

A better extractor (or a new per-source rule) then improves the whole archive. Rows go through
the same upsert as a crawl, so an unchanged result touches nothing and a changed one adds a
version: running it twice changes nothing the second time.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from warcio.exceptions import ArchiveLoadFailed

from crawler.extraction import SiteRules, extract
from crawler.items import ArticleItem
from crawler.settings import HUB_TRACKING_PARAMS
from crawler.urls import clean_url
from pipelines.db.models import ArticleRow, Capture, SourceRow
from pipelines.db.rows import RowWriter
from pipelines.warc.reading import record_at


class MissingRecord(LookupError):
    """No WARC record starts at a capture's offset."""


@dataclasses.dataclass(frozen=True)
class ArchivedPage:
    """The decoded HTTP response behind one capture row."""

    url: str
    headers: dict[str, str]
    body: bytes


def read_page(warc_dir: Path, warc_file: str, offset: int) -> ArchivedPage:
    """Read the response record at `offset`, with chunking and Content-Encoding undone."""
    with open(warc_dir / warc_file, "rb") as stream:
        record = record_at(stream, offset)
        if record is None:
            raise MissingRecord(f"{warc_file} @ {offset}: no record there")
        headers = {}
        if record.http_headers is not None:
            headers = {name: value for name, value in record.http_headers.headers}
        return ArchivedPage(
            url=record.rec_headers.get_header("WARC-Target-URI"),
            headers=headers,
            body=record.content_stream().read(),
        )


def _articles(engine: Engine, source: str | None) -> Iterator[tuple[int, str, int, Capture]]:
    """(source id, source name, article id, capture of its payload) for every article."""
    query = (
        select(ArticleRow.source_id, SourceRow.name, ArticleRow.id, Capture)
        .join(SourceRow, SourceRow.id == ArticleRow.source_id)
        .join(Capture, Capture.warc_record_id == ArticleRow.warc_record_id)
        .order_by(ArticleRow.id)
    )
    if source:
        query = query.where(SourceRow.name == source)
    with Session(engine) as session:
        for source_id, name, article_id, capture in session.execute(query):
            session.expunge(capture)
            yield source_id, name, article_id, capture


def payload_capture(engine: Engine, capture: Capture) -> Capture:
    """A revisit has no payload: follow it to the capture that holds the bytes."""
    if capture.record_type != "revisit":
        return capture
    with Session(engine, expire_on_commit=False) as session:
        original = session.execute(
            select(Capture)
            .where(
                Capture.payload_digest == capture.payload_digest,
                Capture.record_type == "response",
            )
            .order_by(Capture.fetched_at)
            .limit(1)
        ).scalar_one_or_none()
    return original or capture


def reextract(
    engine: Engine,
    warc_dir: Path,
    *,
    source: str | None = None,
    rules: Callable[[str], SiteRules | None] = lambda name: None,
    advance: Callable[[int], None] | None = None,
) -> Counter[str]:
    """Extract every article again from its archived record; counts updated/unchanged/missing.

    `advance(1)` is called as each article is done (a progress bar).
    """
    counts: Counter[str] = Counter()
    for source_id, source_name, _article_id, capture in list(_articles(engine, source)):
        if advance is not None:
            advance(1)
        holder = payload_capture(engine, capture)
        try:
            page = read_page(warc_dir, holder.warc_file, holder.warc_offset)
        except (OSError, MissingRecord, ArchiveLoadFailed):  # run verify to see why
            counts["missing"] += 1
            continue
        article = extract(page.body, capture.url, headers=page.headers, rules=rules(source_name))
        article.url = clean_url(article.url, HUB_TRACKING_PARAMS)  # as the spider does
        item = ArticleItem(
            source=source_name,
            article=article,
            fetched_at=capture.fetched_at,
            warc_record_id=capture.warc_record_id,
        )
        writer = RowWriter(source_id)
        with engine.begin() as connection:
            counts[writer.write_article(connection, item)] += 1
    return counts
