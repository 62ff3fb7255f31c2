"""Which articles a query, an export or a report is about: one filter, shared by all of them.

Dates filter on `published_at`: `--since 2024-06-01 --until 2024-06-30` is all of June (a bare
date as --until means the end of that day, UTC). Category, agency, language and author match
exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, select

from crawler.errors import NewshubError
from pipelines.db.models import ArticleRow, SourceRow


class SelectionError(NewshubError):
    """A filter value newshub cannot use (a malformed date, say)."""


class UnknownSource(NewshubError):
    """A --source that neither the archive nor the config file knows (a typo, usually)."""


def check_source(engine: Engine, name: str | None, configured: Iterable[str] = ()) -> None:
    """Raise UnknownSource unless `name` is None, archived or configured (crawled or not)."""
    if name is None:
        return
    with engine.connect() as connection:
        archived = set(connection.execute(select(SourceRow.__table__.c.name)).scalars())
    known = archived | set(configured)
    if name not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise UnknownSource(f"no source named {name!r}; configured: {listed}")


def parse_when(text: str, *, end: bool = False) -> datetime:
    """An ISO date or datetime as an aware UTC datetime; a bare date `end`s after that day."""
    value = text.strip()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SelectionError(
            f"not a date: {text!r} (use YYYY-MM-DD or an ISO 8601 datetime)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if end and len(value) == 10:  # YYYY-MM-DD: include the whole day
        when += timedelta(days=1)
    return when.astimezone(UTC)


@dataclass(frozen=True)
class ArticleFilter:
    """Conditions on `articles` (and its source); empty means every article."""

    source: str | None = None
    since: datetime | None = None
    # Exclusive upper bound.
    until: datetime | None = None
    category: str | None = None
    agency: str | None = None
    language: str | None = None
    author: str | None = None

    @classmethod
    def parse(
        cls,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        category: str | None = None,
        agency: str | None = None,
        language: str | None = None,
        author: str | None = None,
    ) -> ArticleFilter:
        """Build from command-line text; raises SelectionError with a one-line reason."""
        start = parse_when(since) if since else None
        stop = parse_when(until, end=True) if until else None
        if start and stop and start >= stop:
            raise SelectionError(f"--since {since} is not before --until {until}")
        return cls(
            source or None,
            start,
            stop,
            category or None,
            agency or None,
            language or None,
            author or None,
        )

    def apply(self, query: Select[Any]) -> Select[Any]:
        """Add the conditions to a query that selects from `articles` (joins `sources` itself)."""
        article = ArticleRow.__table__
        if self.source is not None:
            sources = SourceRow.__table__
            query = query.where(
                article.c.source_id.in_(
                    sources.select()
                    .with_only_columns(sources.c.id)
                    .where(sources.c.name == self.source)
                )
            )
        if self.since is not None:
            query = query.where(article.c.published_at >= self.since)
        if self.until is not None:
            query = query.where(article.c.published_at < self.until)
        for name in ("category", "agency", "language", "author"):
            value = getattr(self, name)
            if value is not None:
                query = query.where(article.c[name] == value)
        return query
