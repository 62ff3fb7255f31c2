"""Batched, idempotent writes of captures and articles, off the crawl's reactor thread.

Every write is an upsert keyed on natural keys (WARC record id, source + canonical URL), so
two crawler processes sharing one database never create duplicates, and a version row is
added only by the writer whose conditional update actually changed the article.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crawler.items import ArticleItem
from pipelines.db.models import ArticleRow, ArticleVersion, Capture

logger = logging.getLogger(__name__)

_STOP = object()
CAPTURE_KEYS = (
    "url",
    "status",
    "content_type",
    "fetched_at",
    "size",
    "payload_digest",
    "record_type",
    "warc_file",
    "warc_offset",
    "warc_length",
    "warc_record_id",
    "dedup_key",
)


def upsert(connection: Connection, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT on both supported databases."""
    if connection.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


class ArchiveStore:
    """Queues rows from the crawl and writes them in batches on one worker thread."""

    def __init__(
        self,
        engine: Engine,
        source_id: int,
        run_id: int | None = None,
        *,
        batch_size: int = 100,
        flush_interval: float = 2.0,
    ) -> None:
        self.engine = engine
        self.source_id = source_id
        self.run_id = run_id
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="newshub-db-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add_capture(self, capture: dict[str, Any]) -> None:
        """Queue one capture row; returns at once."""
        self._queue.put(("capture", capture))

    def add_article(self, item: ArticleItem) -> None:
        """Queue one extracted article; returns at once."""
        self._queue.put(("article", item))

    def close(self) -> None:
        """Write what is queued and stop the worker (blocks: call it from a thread)."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _work(self) -> None:
        batch: list[tuple[str, Any]] = []
        deadline = time.monotonic() + self.flush_interval
        while True:
            try:
                entry = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                entry = None
            if entry is _STOP:
                if batch:
                    self._flush(batch)
                return
            if entry is not None:
                batch.append(entry)
            if len(batch) >= self.batch_size or time.monotonic() >= deadline:
                if batch:
                    self._flush(batch)
                batch = []
                deadline = time.monotonic() + self.flush_interval

    def _flush(self, batch: list[tuple[str, Any]]) -> None:
        try:
            with self.engine.begin() as connection:
                self.write_batch(connection, batch)
        except Exception as exc:  # keep crawling: the WARC files still hold the data
            logger.exception("database write of %d rows failed", len(batch))
            self.errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])

    def write_batch(self, connection: Connection, batch: list[tuple[str, Any]]) -> None:
        """Write captures first (articles reference them), then articles, in one transaction."""
        captures = [self._capture_row(row) for kind, row in batch if kind == "capture"]
        if captures:
            statement = upsert(connection, Capture).on_conflict_do_nothing(
                index_elements=["warc_record_id"]
            )
            connection.execute(statement, captures)
            self.counts["captures"] += len(captures)
        for kind, item in batch:
            if kind == "article":
                self.counts[self.write_article(connection, item)] += 1

    def _capture_row(self, capture: dict[str, Any]) -> dict[str, Any]:
        row = {key: capture.get(key) for key in CAPTURE_KEYS}
        row.update(source_id=self.source_id, run_id=self.run_id)
        return row

    def write_article(self, connection: Connection, item: ArticleItem) -> str:
        """Insert or update one article; returns 'new', 'updated' or 'unchanged'."""
        article, seen = item.article, item.fetched_at
        content_hash = article.content_hash()
        fields = article_fields(item)
        key = (ArticleRow.source_id == self.source_id) & (ArticleRow.url == article.url)
        current = select(ArticleRow.id, ArticleRow.content_hash, ArticleRow.last_seen).where(key)
        existing = connection.execute(current).first()
        if existing is None:
            statement = (
                upsert(connection, ArticleRow)
                .values(
                    source_id=self.source_id,
                    url=article.url,
                    content_hash=content_hash,
                    first_seen=seen,
                    last_seen=seen,
                    **fields,
                )
                .on_conflict_do_nothing(index_elements=["source_id", "url"])
                .returning(ArticleRow.id)
            )
            inserted = connection.execute(statement).scalar()
            if inserted is not None:
                self._add_version(connection, inserted, content_hash, item)
                return "new"
            existing = connection.execute(current).one()
        article_id, old_hash, last_seen = existing
        if old_hash == content_hash:
            connection.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article_id, ArticleRow.last_seen < seen)
                .values(last_seen=seen)
            )
            return "unchanged"
        changed = connection.execute(
            update(ArticleRow)
            .where(ArticleRow.id == article_id, ArticleRow.content_hash == old_hash)
            # Re-extraction from an old capture must not move last_seen back in time.
            .values(content_hash=content_hash, last_seen=max(seen, last_seen), **fields)
        )
        if changed.rowcount == 1:
            self._add_version(connection, article_id, content_hash, item)
            return "updated"
        return "unchanged"  # another crawler stored this change first

    def _add_version(
        self, connection: Connection, article_id: int, content_hash: str, item: ArticleItem
    ) -> None:
        connection.execute(
            insert(ArticleVersion).values(
                article_id=article_id,
                content_hash=content_hash,
                warc_record_id=item.warc_record_id,
                captured_at=item.fetched_at,
                extractor_version=item.article.extractor_version,
                fields=item.article.to_json(),
            )
        )


def article_fields(item: ArticleItem) -> dict[str, Any]:
    """Column values of the articles row for one extracted article."""
    article = item.article
    return {
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "author": article.author,
        "published_at": article.published_at,
        "modified_at": article.modified_at,
        "category": article.category,
        "tags": list(article.tags),
        "language": article.language,
        "agency": article.agency,
        "agency_line": article.agency_line,
        "image": article.image,
        "links": list(article.links),
        "extractor_version": article.extractor_version,
        "warc_record_id": item.warc_record_id,
    }
