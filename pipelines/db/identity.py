"""Article identity in the database: moves by post id or redirect, editions, removals.

A WordPress post whose slug, date path or category changed is the same article: the row found
by its post id (or at a URL that redirected to the new one) takes the new URL, and an
`article_events` row records the move, so the archive keeps one row and the old address.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from crawler.identity import translation_group
from crawler.items import ArticleItem
from pipelines.db.models import ArticleEvent, ArticleRow

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Move:
    """An archived row that is this article under an older URL."""

    article_id: int
    old_url: str
    how: str  # "post id" or "redirect"


def find_move(connection: Connection, source_id: int, item: ArticleItem) -> Move | None:
    """The row this article moved from: same post id, or at a URL that redirected here."""
    url = item.article.url
    if item.post_id is not None:
        row = connection.execute(
            select(ArticleRow.id, ArticleRow.url, ArticleRow.language).where(
                ArticleRow.source_id == source_id, ArticleRow.post_id == item.post_id
            )
        ).first()
        language = item.article.language
        if row is not None and row.language and language and row.language != language:
            # Not a move: sites of one network sharing ids, which the site path did not tell.
            logger.warning("%s and %s share post id %s", row.url, url, item.post_id)
            return None
        if row is not None:
            return Move(row.id, row.url, "post id") if row.url != url else None
    old = [u for u in item.redirected_from if u != url]
    if old:
        redirected = connection.execute(
            select(ArticleRow.id, ArticleRow.url, ArticleRow.post_id).where(
                ArticleRow.source_id == source_id, ArticleRow.url.in_(old)
            )
        ).first()
        # A row with another post id is another post the site now redirects elsewhere.
        if redirected is not None and redirected.post_id in (None, item.post_id):
            return Move(redirected.id, redirected.url, "redirect")
    return None


def apply_move(
    connection: Connection, source_id: int, move: Move, new_url: str, when: datetime
) -> bool:
    """Give the moved row its new URL and record the move; False if a row has that URL."""
    taken = connection.execute(
        select(ArticleRow.id).where(ArticleRow.source_id == source_id, ArticleRow.url == new_url)
    ).first()
    if taken is not None and taken.id != move.article_id:
        logger.warning(
            "%s moved to %s, which is archived as another row: both kept", move.old_url, new_url
        )
        return False
    connection.execute(
        update(ArticleRow).where(ArticleRow.id == move.article_id).values(url=new_url)
    )
    add_event(
        connection, source_id, move.article_id, "moved", when, move.old_url, new_url, move.how
    )
    return True


def identity_values(item: ArticleItem) -> dict[str, str | None]:
    """Column values of the article's identity (post id, translation group), when known."""
    values: dict[str, str | None] = {}
    if item.post_id is not None:
        values["post_id"] = item.post_id
    group = translation_group(item.article.url, item.editions)
    if group is not None:
        values["translation_group"] = group
    return values


def store_identity(
    connection: Connection,
    source_id: int,
    article_id: int,
    item: ArticleItem,
    stored: tuple[str | None, str | None] = (None, None),
) -> None:
    """Record the post id (unless another row holds it) and the translation group.

    `stored`: the row's (post_id, translation_group) as read, so unchanged ones cost nothing.
    """
    values = identity_values(item)
    post_id = values.pop("post_id", None)
    if values and values.get("translation_group") != stored[1]:
        connection.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(**values))
    if post_id is None or post_id == stored[0]:
        return
    holder = connection.execute(
        select(ArticleRow.id).where(
            ArticleRow.source_id == source_id, ArticleRow.post_id == post_id
        )
    ).scalar()
    if holder is None:
        connection.execute(
            update(ArticleRow)
            .where(ArticleRow.id == article_id, ArticleRow.post_id.is_(None))
            .values(post_id=post_id)
        )


def add_event(
    connection: Connection,
    source_id: int,
    article_id: int,
    kind: str,
    when: datetime,
    old_url: str | None = None,
    new_url: str | None = None,
    detail: str | None = None,
) -> None:
    connection.execute(
        insert(ArticleEvent).values(
            article_id=article_id,
            source_id=source_id,
            kind=kind,
            at=when,
            old_url=old_url,
            new_url=new_url,
            detail=detail,
        )
    )
