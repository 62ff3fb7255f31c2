"""What an operator checks in the morning: counts per source, what came in, when runs last worked.

"Per day" counts articles by the day newshub first saw them (UTC), the last `days` days only;
WARC bytes are the on-disk sizes of the files the source's captures point into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from crawler.errors import NewshubError
from newshub_archive.selection import ArticleFilter
from pipelines.db.models import ArticleEvent, ArticleRow, Capture, CrawlRun, SourceRow


@dataclass
class SourceStats:
    name: str
    articles: int = 0
    captures: int = 0
    warc_files: int = 0
    # None when the WARC folder was not given.
    warc_bytes: int | None = None
    missing_warc_files: int = 0
    last_success: dict[str, Any] | None = None
    last_run_status: str | None = None
    # Articles the site removed (still archived), moves recorded, articles with editions.
    removed: int = 0
    moved: int = 0
    with_editions: int = 0


@dataclass
class ArchiveStats:
    sources: list[SourceStats] = field(default_factory=list)
    categories: list[tuple[str | None, int]] = field(default_factory=list)
    agencies: list[tuple[str | None, int]] = field(default_factory=list)
    days: list[tuple[str, int]] = field(default_factory=list)
    statuses: list[tuple[int, int]] = field(default_factory=list)


def stats(
    engine: Engine,
    source: str | None = None,
    *,
    warc_dir: Path | None = None,
    days: int = 14,
    now: datetime | None = None,
) -> ArchiveStats:
    """Counts over the whole archive or one source."""
    where = ArticleFilter(source=source)
    article, capture, sources = ArticleRow.__table__, Capture.__table__, SourceRow.__table__
    report = ArchiveStats()
    with engine.connect() as connection:
        listed = select(sources.c.id, sources.c.name).order_by(sources.c.name)
        if source:
            listed = listed.where(sources.c.name == source)
        names = connection.execute(listed).all()
        if source and not names:
            raise NewshubError(f"no source named {source!r} in the archive")
        for source_id, name in names:
            report.sources.append(_source_stats(connection, source_id, name, warc_dir))
        count = func.count().label("n")
        for column, target in ((article.c.category, "categories"), (article.c.agency, "agencies")):
            query = where.apply(select(column, count).group_by(column)).order_by(
                count.desc(), column.asc().nulls_last()
            )
            setattr(report, target, [(row[0], row[1]) for row in connection.execute(query)])
        day = _utc_day(connection, article.c.first_seen)
        since = (now or datetime.now(UTC)) - timedelta(days=days)
        query = where.apply(select(day.label("day"), count).where(article.c.first_seen >= since))
        report.days = [
            (str(row[0]), row[1])
            for row in connection.execute(query.group_by(day).order_by(day.desc()))
        ]
        status_query = select(capture.c.status, count).group_by(capture.c.status)
        if source:
            status_query = status_query.where(capture.c.source_id.in_([i for i, _ in names]))
        report.statuses = [
            (row[0], row[1]) for row in connection.execute(status_query.order_by(capture.c.status))
        ]
    return report


def _utc_day(connection: Connection, column: Any) -> Any:
    if connection.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)  # SQLite keeps UTC text


def _source_stats(
    connection: Connection, source_id: int, name: str, warc_dir: Path | None
) -> SourceStats:
    article, capture, runs = ArticleRow.__table__, Capture.__table__, CrawlRun.__table__
    result = SourceStats(name)
    result.articles = connection.execute(
        select(func.count()).where(article.c.source_id == source_id)
    ).scalar_one()
    result.removed, result.with_editions = connection.execute(
        select(func.count(article.c.removed_at), func.count(article.c.translation_group)).where(
            article.c.source_id == source_id
        )
    ).one()
    events = ArticleEvent.__table__
    result.moved = connection.execute(
        select(func.count()).where(events.c.source_id == source_id, events.c.kind == "moved")
    ).scalar_one()
    result.captures = connection.execute(
        select(func.count()).where(capture.c.source_id == source_id)
    ).scalar_one()
    files = (
        connection.execute(
            select(capture.c.warc_file).where(capture.c.source_id == source_id).distinct()
        )
        .scalars()
        .all()
    )
    result.warc_files = len(files)
    if warc_dir is not None:
        result.warc_bytes = 0
        for name_ in files:
            path = warc_dir / name_
            if path.exists():
                result.warc_bytes += path.stat().st_size
            else:
                result.missing_warc_files += 1
    latest = runs.c.started_at.desc(), runs.c.id.desc()
    success = (
        connection.execute(
            select(
                runs.c.id,
                runs.c.finished_at,
                runs.c.articles_new,
                runs.c.articles_updated,
                runs.c.pages_fetched,
            )
            .where(runs.c.source_id == source_id, runs.c.status == "finished")
            .order_by(*latest)
            .limit(1)
        )
        .mappings()
        .first()
    )
    result.last_success = dict(success) if success else None
    result.last_run_status = connection.execute(
        select(runs.c.status).where(runs.c.source_id == source_id).order_by(*latest).limit(1)
    ).scalar()
    return result
