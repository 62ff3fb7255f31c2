"""Idempotent writes of capture and article rows: the SQL side of the store.

Every write is an upsert keyed on natural keys (WARC record id, source + canonical URL), so
two crawler processes sharing one database never create duplicates, and a version row is
added only by the writer whose conditional update actually changed the article.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crawler.items import ArticleItem
from pipelines.db.identity import apply_move, find_move, store_identity
from pipelines.db.models import ArticleRow, ArticleVersion, Capture

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


class RowWriter:
    """Writes one source's (and run's) rows on a connection the caller gives."""

    def __init__(self, source_id: int, run_id: int | None = None) -> None:
        self.source_id = source_id
        self.run_id = run_id
        self.counts: Counter[str] = Counter()

    def write_captures(self, connection: Connection, captures: list[dict[str, Any]]) -> None:
        statement = upsert(connection, Capture).on_conflict_do_nothing(
            index_elements=["warc_record_id"]
        )
        connection.execute(statement, [self._capture_row(row) for row in captures])

    def _capture_row(self, capture: dict[str, Any]) -> dict[str, Any]:
        row = {key: capture.get(key) for key in CAPTURE_KEYS}
        row.update(source_id=self.source_id, run_id=self.run_id)
        return row

    def write_article(self, connection: Connection, item: ArticleItem) -> str:
        """Insert or update one article; returns 'new', 'updated' or 'unchanged'."""
        article, seen = item.article, item.fetched_at
        content_hash = article.content_hash()
        fields = article_fields(item)
        # A post that changed its URL: its row takes the new one (pipelines.db.identity).
        if item.post_id is not None or item.redirected_from:
            move = find_move(connection, self.source_id, item)
            if move is not None and apply_move(connection, self.source_id, move, article.url, seen):
                self.counts["moved"] += 1
        key = (ArticleRow.source_id == self.source_id) & (ArticleRow.url == article.url)
        current = select(
            ArticleRow.id,
            ArticleRow.content_hash,
            ArticleRow.last_seen,
            ArticleRow.post_id,
            ArticleRow.translation_group,
        ).where(key)
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
                store_identity(connection, self.source_id, inserted, item)
                return "new"
            existing = connection.execute(current).one()
        article_id, old_hash, last_seen, post_id, group = existing
        store_identity(connection, self.source_id, article_id, item, (post_id, group))
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
            insert(ArticleVersion).values(**version_row(article_id, content_hash, item))
        )


def version_row(article_id: int, content_hash: str, item: ArticleItem) -> dict[str, Any]:
    """The article_versions row of an article's first (or changed) content."""
    return {
        "article_id": article_id,
        "content_hash": content_hash,
        "warc_record_id": item.warc_record_id,
        "captured_at": item.fetched_at,
        "extractor_version": item.article.extractor_version,
        "fields": item.article.to_json(),
    }


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
