"""Ranked full-text search over article titles and bodies, on SQLite (FTS5) and PostgreSQL.

Queries are parsed by newshub_archive.query_language, never handed to the database's own query
syntax. Both databases tokenize alike (migration 0002), so the same query finds the same
articles; only the scores differ. Title matches rank above body matches.
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
) -> list[Hit]:
    """The best `limit` articles for `query`, best first; [] when the query has no words.

    `page` overrides `limit` and asks for a later page, date order or other snippet markers.
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
            ranked, snippets = _sqlite(connection, groups, where, page)
        return _hits(connection, ranked, snippets)


def count_matches(engine: Engine, query: str, where: ArticleFilter | None = None) -> int:
    """How many articles match `query` in all (search returns the best `limit` of them)."""
    groups = parse_query(query)
    if not groups:
        return 0
    article = ArticleRow.__table__
    ids = matching_ids(engine.dialect.name, groups)
    counted = select(func.count()).select_from(article).where(article.c.id.in_(ids))
    with engine.connect() as connection:
        return int(connection.execute((where or ArticleFilter()).apply(counted)).scalar_one())


def matching_ids(dialect: str, groups: list[Group]) -> Any:
    """A SELECT of the ids of the articles matching `groups` (for counts and facets)."""
    if dialect == "postgresql":
        article = ArticleRow.__table__
        vector: Any = literal_column("articles.search_vector")
        return select(article.c.id).where(vector.op("@@")(tsquery(groups)))
    fts, match = _fts_match(groups)
    return select(fts.c.rowid).where(match)


def _fts_match(groups: list[Group]) -> tuple[Any, Any]:
    fts = table("articles_fts", column("rowid"))
    return fts, literal_column("articles_fts").op("MATCH")(bindparam("q", fts5_query(groups)))


def _by_date(article: Any) -> tuple[Any, Any]:
    return article.c.published_at.desc().nulls_last(), article.c.id.desc()


def _sqlite(
    connection: Connection, groups: list[Group], where: ArticleFilter, page: Page
) -> tuple[list[tuple[int, float]], dict[int, str]]:
    fts, match = _fts_match(groups)
    rank = func.bm25(literal_column("articles_fts"), TITLE_WEIGHT, BODY_WEIGHT, type_=Float)
    query = select(fts.c.rowid, rank.label("bm25")).where(match)
    article = ArticleRow.__table__
    if where != ArticleFilter() or page.order == "date":
        query = where.apply(query.join(article, article.c.id == fts.c.rowid))
    order = _by_date(article) if page.order == "date" else (literal_column("bm25"), fts.c.rowid)
    ranked = [
        (row[0], -row[1])
        for row in connection.execute(query.order_by(*order).limit(page.limit).offset(page.offset))
    ]
    # Snippets only for the rows shown: snippet() over every match would dominate the time.
    ids = [article_id for article_id, _ in ranked]
    snippet = func.snippet(
        literal_column("articles_fts"), 1, page.marks[0], page.marks[1], ELLIPSIS, SNIPPET_TOKENS
    )
    rows = connection.execute(select(fts.c.rowid, snippet).where(match, fts.c.rowid.in_(ids)))
    return ranked, {row[0]: row[1] or "" for row in rows}


def _postgres(
    connection: Connection, groups: list[Group], where: ArticleFilter, page: Page
) -> tuple[list[tuple[int, float]], dict[int, str]]:
    article = ArticleRow.__table__
    vector: Any = literal_column("articles.search_vector")
    query_ = tsquery(groups)
    rank = func.ts_rank(vector, query_, type_=Float)
    order = (
        _by_date(article)
        if page.order == "date"
        else (literal_column("score").desc(), article.c.id)
    )
    ranked_query = where.apply(
        select(article.c.id, rank.label("score")).where(vector.op("@@")(query_))
    ).order_by(*order)
    ranked = [
        (row[0], float(row[1]))
        for row in connection.execute(ranked_query.limit(page.limit).offset(page.offset))
    ]
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
    ids = [article_id for article_id, _ in ranked]
    rows = connection.execute(select(article.c.id, headline).where(article.c.id.in_(ids)))
    return ranked, {row[0]: row[1] or "" for row in rows}


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
