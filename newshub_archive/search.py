"""Ranked full-text search over article titles and bodies, on SQLite (FTS5) and PostgreSQL.

Queries are parsed by newshub_archive.query_language, never handed to the database's own query
syntax. Both databases tokenize alike (migration 0002), so the same query finds the same
articles; only the scores differ. Title matches rank above body matches.

Work per query is bounded, whatever the archive's size (newshub_archive.search_bounds): a word
found in most articles does not have every match ranked, and a date-ordered page walks the
date index instead of sorting every match when matches are dense.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Float,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
)

from newshub_archive import search_bounds as bounds
from newshub_archive.query_language import (
    Group,
    fts5_query,
    parse_query,
    tsquery,
)
from newshub_archive.selection import ArticleFilter
from pipelines.db.models import ArticleRow, SourceRow

# bm25 weights of the FTS columns (title, body); PostgreSQL weighs them A and B.
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
MARK = ("[", "]")
ELLIPSIS = "…"
SNIPPET_TOKENS = 16


@dataclass(frozen=True)
class Hit:
    id: int
    source: str
    url: str
    title: str | None
    published_at: datetime | None
    category: str | None
    agency: str | None
    # Higher is better; comparable within one result list only.
    score: float
    snippet: str


ORDERS = ("relevance", "date")


@dataclass(frozen=True)
class Page:
    """Which slice of the results, in which order, with which snippet markers."""

    limit: int = 20
    offset: int = 0
    # relevance (best first) or date (newest published first).
    order: str = "relevance"
    marks: tuple[str, str] = MARK


def search(
    engine: Engine,
    query: str,
    where: ArticleFilter | None = None,
    *,
    limit: int = 20,
    page: Page | None = None,
    matches: int | None = None,
) -> list[Hit]:
    """The best `limit` articles for `query`, best first; [] when the query has no words.

    `page` overrides `limit` and asks for a later page, date order or other snippet markers.
    `matches`, an exact count of the matches the caller already has, spares SQLite finding
    the ranking bound when they are fewer than it.
    """
    page = page or Page(limit=limit)
    if page.order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, not {page.order!r}")
    groups = parse_query(query)
    if not groups or page.limit < 1:
        return []
    where = where or ArticleFilter()
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            ranked, snippets = _postgres(connection, groups, where, page)
        else:
            few = matches is not None and matches <= bounds.RANK_CANDIDATES
            ranked, snippets = _sqlite(connection, groups, where, page, bounded=not few)
        return _hits(connection, ranked, snippets)


def count_matches(engine: Engine, query: str, where: ArticleFilter | None = None) -> int:
    """How many articles match `query` in all (search returns the best `limit` of them)."""
    groups = parse_query(query)
    if not groups:
        return 0
    with engine.connect() as connection:
        return count_matching(connection, groups, where or ArticleFilter())


def count_matching(connection: Connection, groups: list[Group], where: ArticleFilter) -> int:
    """How many articles match the parsed query `groups` and `where`, counted exactly."""
    article = ArticleRow.__table__
    if connection.dialect.name == "postgresql":
        bounds.prefer_index_scans(connection)
        vector: Any = literal_column("articles.search_vector")
        counted = select(func.count()).select_from(article)
        counted = counted.where(vector.op("@@")(tsquery(groups)))
    else:
        # From the FTS table: SQLite then counts the matches in the index alone, or looks up
        # only the rows a filter's index allows.
        fts, match = _fts_match(groups)
        counted = select(func.count()).select_from(fts).where(match)
        if where != ArticleFilter():
            counted = counted.join(article, article.c.id == fts.c.rowid)
    return int(connection.execute(where.apply(counted)).scalar_one())


def matching_ids(groups: list[Group]) -> Any:
    """A SELECT of the rowids of the articles matching `groups` in SQLite's FTS5 index."""
    fts, match = _fts_match(groups)
    return select(fts.c.rowid).where(match)


def _fts_match(groups: list[Group]) -> tuple[Any, Any]:
    fts = table("articles_fts", column("rowid"))
    return fts, literal_column("articles_fts").op("MATCH")(bindparam("q", fts5_query(groups)))


def _by_date(article: Any) -> tuple[Any, Any]:
    return article.c.published_at.desc().nulls_last(), article.c.id.desc()


def _candidate_floor(connection: Connection, matches: Any, id_column: Any) -> int | None:
    """The lowest id among about the newest RANK_CANDIDATES matches; None when there are fewer."""
    if connection.dialect.name == "postgresql":
        return bounds.postgres_candidate_floor(connection, matches)
    newest = matches.order_by(id_column.desc()).limit(1).offset(bounds.RANK_CANDIDATES - 1)
    return connection.execute(newest).scalar()


def _sqlite(
    connection: Connection,
    groups: list[Group],
    where: ArticleFilter,
    page: Page,
    *,
    bounded: bool = True,
) -> tuple[list[tuple[int, float]], dict[int, str]]:
    fts, match = _fts_match(groups)
    article = ArticleRow.__table__
    rank = func.bm25(literal_column("articles_fts"), TITLE_WEIGHT, BODY_WEIGHT, type_=Float)
    if page.order == "date":
        ids = _sqlite_by_date(connection, groups, where, page)
    else:
        matches = select(fts.c.rowid).where(match)
        if where != ArticleFilter():
            matches = where.apply(matches.join(article, article.c.id == fts.c.rowid))
        floor = _candidate_floor(connection, matches, fts.c.rowid) if bounded else None
        if floor is not None:
            matches = matches.where(fts.c.rowid >= floor)
        ranked_query = matches.add_columns(rank.label("bm25")).order_by(
            literal_column("bm25"), fts.c.rowid
        )
        ids = [
            row[0] for row in connection.execute(ranked_query.limit(page.limit).offset(page.offset))
        ]
    # Scores and snippets only for the rows shown: snippet() over every match would dominate.
    snippet = func.snippet(
        literal_column("articles_fts"), 1, page.marks[0], page.marks[1], ELLIPSIS, SNIPPET_TOKENS
    )
    rows = connection.execute(
        select(fts.c.rowid, rank, snippet).where(match, fts.c.rowid.in_(ids))
    ).all()
    scores = {row[0]: -row[1] for row in rows}
    return [(i, scores.get(i, 0.0)) for i in ids], {row[0]: row[2] or "" for row in rows}


def _sqlite_by_date(
    connection: Connection, groups: list[Group], where: ArticleFilter, page: Page
) -> list[int]:
    """Ids of a date-ordered page: an index walk when matches are dense, else a sort."""
    fts, match = _fts_match(groups)
    article = ArticleRow.__table__
    query = select(article.c.id)
    if _walk_pays(connection, groups, page, select(func.count()).select_from(fts).where(match)):
        # FTS5 answers "does this row match" by seeking its doclists: cheap, but not for a
        # prefix, whose doclists are merged again on every seek.
        query = query.where(
            select(literal(1)).select_from(fts).where(match, fts.c.rowid == article.c.id).exists()
        )
    else:
        query = query.join(fts, fts.c.rowid == article.c.id).where(match)
    query = where.apply(query).order_by(*_by_date(article)).limit(page.limit).offset(page.offset)
    return [row[0] for row in connection.execute(query)]


def _walk_pays(connection: Connection, groups: list[Group], page: Page, count: Any) -> bool:
    """Whether walking the date index costs less than sorting the matches, about.

    The walk tests about (offset + limit) × articles / matches articles; the sort reads every
    match. Prefixes are sorted: FTS5 merges their doclists again on every seek.
    """
    if any(term.prefix for group in groups for term in group.include):
        return False
    article = ArticleRow.__table__
    articles = connection.execute(select(func.max(article.c.id))).scalar() or 0
    matches = connection.execute(count).scalar() or 0
    walked = (page.offset + page.limit) * articles
    return walked * bounds.DATE_WALK_COST <= matches * matches


def _postgres(
    connection: Connection, groups: list[Group], where: ArticleFilter, page: Page
) -> tuple[list[tuple[int, float]], dict[int, str]]:
    article = ArticleRow.__table__
    vector: Any = literal_column("articles.search_vector")
    query_ = tsquery(groups)
    bounds.prefer_index_scans(connection)
    matches = where.apply(select(article.c.id).where(vector.op("@@")(query_)))
    if page.order == "date":
        ranked_query = matches.order_by(*_by_date(article))
    else:
        floor = _candidate_floor(connection, matches, article.c.id)
        if floor is not None:
            # The GIN matches ANDed with the id range (BitmapAnd): walking the range instead
            # would read the vector of every article in it, matching or not.
            bounds.prefer_index_scans(connection, bitmaps_only=True)
            matches = matches.where(article.c.id >= floor)
        rank = func.ts_rank(vector, query_, type_=Float)
        ranked_query = matches.add_columns(rank.label("score")).order_by(
            literal_column("score").desc(), article.c.id
        )
    ids = [row[0] for row in connection.execute(ranked_query.limit(page.limit).offset(page.offset))]
    start, stop = page.marks
    options = (
        f"StartSel={start}, StopSel={stop}, MaxWords={SNIPPET_TOKENS + 8}, "
        f'MinWords={SNIPPET_TOKENS // 2}, MaxFragments=1, FragmentDelimiter="{ELLIPSIS}"'
    )
    headline = func.ts_headline(
        literal_column("'simple'::regconfig"),
        func.coalesce(article.c.body, ""),
        query_,
        literal(options),
    )
    rank = func.ts_rank(vector, query_, type_=Float)
    rows = connection.execute(select(article.c.id, rank, headline).where(article.c.id.in_(ids)))
    found = {row[0]: (float(row[1]), row[2] or "") for row in rows}
    ranked = [(i, found[i][0]) for i in ids if i in found]
    return ranked, {i: snippet for i, (_, snippet) in found.items()}


def _hits(
    connection: Connection, ranked: list[tuple[int, float]], snippets: dict[int, str]
) -> list[Hit]:
    if not ranked:
        return []
    article, sources = ArticleRow.__table__, SourceRow.__table__
    query = (
        select(
            article.c.id,
            sources.c.name,
            article.c.url,
            article.c.title,
            article.c.published_at,
            article.c.category,
            article.c.agency,
        )
        .join(sources, sources.c.id == article.c.source_id)
        .where(article.c.id.in_([article_id for article_id, _ in ranked]))
    )
    rows = {row.id: row for row in connection.execute(query)}
    return [
        Hit(*rows[article_id], score=score, snippet=snippets.get(article_id, ""))
        for article_id, score in ranked
        if article_id in rows
    ]
