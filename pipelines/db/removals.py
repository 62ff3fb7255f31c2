"""Articles the site removed, and their return: history, never deletion.

A known article that answers 404/410 or redirects to the home page is marked `removed_at` (the
first time it was seen gone; its row and versions stay). One that answers again is unmarked,
and both facts are kept in `article_events` ("removed", "returned").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, Engine, select, update

from pipelines.db.identity import add_event
from pipelines.db.models import ArticleRow


def record_removals(
    engine: Engine,
    source_id: int,
    gone: Iterable[tuple[str, datetime, str]],
    alive: Iterable[tuple[str, datetime, str]],
) -> tuple[int, int]:
    """Mark (url, when, how) gone and unmark alive ones; returns (removed, returned) counts."""
    removed = returned = 0
    with engine.begin() as connection:
        for url, when, how in gone:
            article_id = _article(connection, source_id, url, removed=False)
            if article_id is None:
                continue
            changed = connection.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article_id, ArticleRow.removed_at.is_(None))
                .values(removed_at=when)
            )
            if changed.rowcount == 1:
                add_event(connection, source_id, article_id, "removed", when, url, None, how)
                removed += 1
        for url, when, how in alive:
            article_id = _article(connection, source_id, url, removed=True)
            if article_id is None:
                continue
            changed = connection.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article_id, ArticleRow.removed_at.is_not(None))
                .values(removed_at=None)
            )
            if changed.rowcount == 1:
                add_event(connection, source_id, article_id, "returned", when, None, url, how)
                returned += 1
    return removed, returned


def _article(connection: Connection, source_id: int, url: str, *, removed: bool) -> int | None:
    state = ArticleRow.removed_at.is_not(None) if removed else ArticleRow.removed_at.is_(None)
    return connection.execute(
        select(ArticleRow.id).where(ArticleRow.source_id == source_id, ArticleRow.url == url, state)
    ).scalar()
