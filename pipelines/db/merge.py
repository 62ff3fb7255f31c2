"""One row for an article archived twice: under its old URL and, found first, under its new one.

A hub that moves an article without a post id newshub can read, and links only the new URL, has
it archived as a new row; when the old URL is asked for again (its recheck falls due) and
redirects to the new one, the two rows are the same article. The old row (the first seen)
stays and takes the new row's URL, fields and versions; the new row is deleted; a `moved`
event (detail "redirect") records the old address. Nothing archived is lost: every version and
every capture stays, and a version that repeats the content before it is not kept twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from pipelines.db.identity import add_event
from pipelines.db.models import ArticleEvent, ArticleRow, ArticleVersion

# Columns of the old row that the merge keeps rather than take from the new one.
_KEEP = {"id", "source_id", "first_seen"}


def merge_redirects(
    engine: Engine, source_id: int, redirects: Iterable[tuple[str, str, datetime]]
) -> int:
    """Merge the rows of each (old URL, URL it redirects to, when) pair; returns how many."""
    merged = 0
    with engine.begin() as connection:
        for old_url, new_url, when in redirects:
            old, new = _row(connection, source_id, old_url), _row(connection, source_id, new_url)
            if old is None or new is None or old["id"] == new["id"]:
                continue
            if old["post_id"] and new["post_id"] and old["post_id"] != new["post_id"]:
                continue  # two posts: the site sends one's readers to the other
            _merge(connection, source_id, old, new, when)
            merged += 1
    return merged


def _row(connection: Connection, source_id: int, url: str) -> dict[str, Any] | None:
    found = connection.execute(
        select(ArticleRow.__table__).where(ArticleRow.source_id == source_id, ArticleRow.url == url)
    ).mappings()
    row = found.first()
    return dict(row) if row is not None else None


def _merge(
    connection: Connection,
    source_id: int,
    old: dict[str, Any],
    new: dict[str, Any],
    when: datetime,
) -> None:
    keep, gone = old["id"], new["id"]
    moved_versions = set(
        connection.execute(
            select(ArticleVersion.id).where(ArticleVersion.article_id == gone)
        ).scalars()
    )
    connection.execute(
        update(ArticleVersion).where(ArticleVersion.article_id == gone).values(article_id=keep)
    )
    connection.execute(
        update(ArticleEvent).where(ArticleEvent.article_id == gone).values(article_id=keep)
    )
    connection.execute(delete(ArticleRow).where(ArticleRow.id == gone))
    values = {k: v for k, v in new.items() if k not in _KEEP}
    values["post_id"] = new["post_id"] or old["post_id"]
    values["translation_group"] = new["translation_group"] or old["translation_group"]
    values["last_seen"] = max(old["last_seen"], new["last_seen"])
    values["first_seen"] = min(old["first_seen"], new["first_seen"])
    connection.execute(update(ArticleRow).where(ArticleRow.id == keep).values(**values))
    _drop_repeats(connection, keep, moved_versions)
    add_event(connection, source_id, keep, "moved", when, old["url"], new["url"], "redirect")


def _drop_repeats(connection: Connection, article_id: int, candidates: set[int]) -> None:
    """Versions that came from the merged row and repeat the content of the one before."""
    versions = connection.execute(
        select(ArticleVersion.id, ArticleVersion.content_hash)
        .where(ArticleVersion.article_id == article_id)
        .order_by(ArticleVersion.captured_at, ArticleVersion.id)
    ).all()
    previous = None
    for version_id, content_hash in versions:
        if content_hash == previous and version_id in candidates:
            connection.execute(delete(ArticleVersion).where(ArticleVersion.id == version_id))
            continue
        previous = content_hash
