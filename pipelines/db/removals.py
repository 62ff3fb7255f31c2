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
    with engine.begin() as connection:
        removed = sum(_mark(connection, source_id, *fact, gone=True) for fact in gone)
        returned = sum(_mark(connection, source_id, *fact, gone=False) for fact in alive)
    return removed, returned


def _mark(
    connection: Connection, source_id: int, url: str, when: datetime, how: str, *, gone: bool
) -> bool:
    """Set (gone) or clear `removed_at` of the article at `url`, with its event; whether it
    changed (an article already in that state changes nothing and records nothing)."""
    article_id = _article(connection, source_id, url, removed=not gone)
    if article_id is None:
        return False
    was = ArticleRow.removed_at.is_(None) if gone else ArticleRow.removed_at.is_not(None)
    changed = connection.execute(
        update(ArticleRow)
        .where(ArticleRow.id == article_id, was)
        .values(removed_at=when if gone else None)
    )
    if changed.rowcount != 1:
        return False
    kind, old_url, new_url = ("removed", url, None) if gone else ("returned", None, url)
    add_event(connection, source_id, article_id, kind, when, old_url, new_url, how)
    return True


def _article(connection: Connection, source_id: int, url: str, *, removed: bool) -> int | None:
    state = ArticleRow.removed_at.is_not(None) if removed else ArticleRow.removed_at.is_(None)
    return connection.execute(
        select(ArticleRow.id).where(ArticleRow.source_id == source_id, ArticleRow.url == url, state)
    ).scalar()
