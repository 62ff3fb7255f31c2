"""How many articles a search (or a plain selection) finds, split by source, category, agency,
language, author and month of publication: the counts next to a search's filters.

One GROUP BY over every facet column at once, summed per facet here: the matching rows are
read once, however many facets there are (six GROUP BYs would read them six times). A search
matching more than FACET_SAMPLE articles is counted on a sample of them
(newshub_archive.search_bounds), so a page costs about the same for a rare word as for one in
every article.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, literal_column, select

from newshub_archive import search_bounds as bounds
from newshub_archive.query_language import Group, parse_query, tsquery
from newshub_archive.search import count_matching, matching_ids
from newshub_archive.selection import ArticleFilter, parse_when
from pipelines.db.models import ArticleRow, SourceRow

FACETS = ("source", "category", "agency", "language", "author", "month")


@dataclass
class Facets:
    """`total` matching articles; per facet, (value, count) pairs, most frequent first.

    `approximate`: the counts were estimated from a sample (search_bounds.FACET_SAMPLE);
    `total_exact`: whether `total` was counted (SQLite always counts it; PostgreSQL estimates
    it from the same sample, since counting would read every match).
    """

    total: int = 0
    counts: dict[str, list[tuple[str | None, int]]] = field(default_factory=dict)
    approximate: bool = False
    total_exact: bool = True


def facets(
    engine: Engine, query: str = "", where: ArticleFilter | None = None, *, top: int = 10
) -> Facets:
    """Counts of the articles matching `query` (every article when it has no words) and `where`.

    Months are listed newest first, all of them; the other facets keep their `top` values.
    """
    where = where or ArticleFilter()
    article, sources = ArticleRow.__table__, SourceRow.__table__
    groups = parse_query(query)
    if query.strip() and not groups:
        return Facets(counts={name: [] for name in FACETS})
    with engine.connect() as connection:
        share, total = _sample(connection, groups, where)
        bounds.prefer_index_scans(connection, bitmaps_only=share < bounds.SAMPLE_BUCKETS)
        month = _utc_month(connection.dialect.name, article.c.published_at)
        columns = (
            sources.c.name,
            article.c.category,
            article.c.agency,
            article.c.language,
            article.c.author,
            month,
        )
        selected = where.apply(
            select(*columns, func.count()).join(sources, sources.c.id == article.c.source_id)
        )
        if groups:
            selected = selected.where(_matching(connection, groups, share))
        rows = connection.execute(selected.group_by(*columns)).all()
    scale = bounds.SAMPLE_BUCKETS / share
    tallies: dict[str, Counter[str | None]] = {name: Counter() for name in FACETS}
    for row in rows:
        for name, value in zip(FACETS, row[:-1], strict=True):
            tallies[name][value] += round(row[-1] * scale)
    counts = {name: _top(tallies[name], top) for name in FACETS[:-1]}
    # Newest first; no date ("" here) last.
    counts["month"] = sorted(tallies["month"].items(), key=lambda i: i[0] or "", reverse=True)
    counted = round(sum(row[-1] for row in rows) * scale)
    return Facets(
        total=counted if total is None else total,
        counts=counts,
        approximate=scale > 1,
        total_exact=total is not None or scale == 1,
    )


def _sample(
    connection: Connection, groups: list[Group], where: ArticleFilter
) -> tuple[int, int | None]:
    """(residues of SAMPLE_BUCKETS to count, the exact total when it was counted)."""
    if not groups:
        return bounds.SAMPLE_BUCKETS, None  # a plain selection: the covering index, in full
    if connection.dialect.name == "postgresql":
        bounds.prefer_index_scans(connection)
        matches = where.apply(
            select(ArticleRow.__table__.c.id).where(_matching(connection, groups))
        )
        estimate = bounds.estimated_rows(connection, matches)
        share = bounds.sample_share(estimate) if estimate > bounds.FACET_SAMPLE else None
        return share or bounds.SAMPLE_BUCKETS, None
    total = count_matching(connection, groups, where)
    if total <= bounds.FACET_SAMPLE:
        return bounds.SAMPLE_BUCKETS, total
    return bounds.sample_share(total), total


def _matching(connection: Connection, groups: list[Group], share: int | None = None) -> Any:
    """The condition on `articles` of matching `groups`, in the first `share` sample residues."""
    article = ArticleRow.__table__
    sampled = share is not None and share < bounds.SAMPLE_BUCKETS
    if connection.dialect.name == "postgresql":
        vector: Any = literal_column("articles.search_vector")
        condition = vector.op("@@")(tsquery(groups))
        if sampled:  # the expression ix_articles_sample_bucket indexes (migration 0007)
            condition = condition & ((article.c.id % bounds.SAMPLE_BUCKETS) < share)
        return condition
    # SQLite looks up each matching id in `articles`: the sample bounds those lookups.
    ids = matching_ids(groups)
    if sampled:
        ids = ids.where((literal_column("articles_fts.rowid") % bounds.SAMPLE_BUCKETS) < share)
    return article.c.id.in_(ids)


def _top(tally: Counter[str | None], top: int) -> list[tuple[str | None, int]]:
    # Most frequent first, then by value, no value ("none") last among equals.
    ranked = sorted(tally.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))
    return ranked[:top]


def _utc_month(dialect: str, column: Any) -> Any:
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(column, 1, 7)  # SQLite keeps UTC text: "2026-05-01 12:00:00"


def month_range(month: str) -> tuple[datetime, datetime]:
    """The first moment of a "YYYY-MM" month and of the next, UTC (a month facet's filter)."""
    start = parse_when(f"{month}-01")
    following = parse_when(f"{start.year + start.month // 12}-{start.month % 12 + 1:02d}-01")
    return start, following
