"""Ranked full-text search over article titles and bodies, on SQLite (FTS5) and PostgreSQL.

The user's query is parsed here, never handed to the database's own query syntax: words are
ANDed, "quoted text" is a phrase, `word*` a prefix, `OR` separates alternatives and `-word`
excludes. Every piece of text reaches the database as a bound string that its tokenizer splits
(an FTS5 string literal, `phraseto_tsquery`), so quotes, `NEAR`, `--`, `;` or parentheses are
only ever words or nothing. Both databases tokenize alike (migration 0002), so the same query
finds the same articles; only the scores differ. Title matches rank above body matches.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
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

from crawler.errors import NewshubError
from newshub_archive.selection import ArticleFilter
from pipelines.db.models import ArticleRow, SourceRow

# bm25 weights of the FTS columns (title, body); PostgreSQL weighs them A and B.
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
MARK = ("[", "]")
ELLIPSIS = "…"
SNIPPET_TOKENS = 16
# Query limits: a query is something a person types; beyond these it is refused with one line,
# before any parsing or database work, so a pasted document cannot keep the database busy.
MAX_QUERY_LENGTH = 1000
MAX_QUERY_TERMS = 32

_WORDS = re.compile(r"[^\W_]+")
_PIECES = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class QueryTooLarge(NewshubError):
    """A search query over the length or term limit; the message says which and by how much."""


@dataclass(frozen=True)
class Term:
    """A phrase (one or more words) or, when `prefix`, a single word matched as a prefix.

    Words are letters and digits only: both databases split text at everything else, and
    handing them pre-split words keeps their phrases alike ("state-run" is "state run").
    """

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Group:
    """Articles matching every `include` term and no `exclude` term."""

    include: tuple[Term, ...]
    exclude: tuple[Term, ...] = ()


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


def _terms(text: str) -> Iterator[tuple[bool, Term] | None]:
    """(excluded, term) for each piece of the query with a word in it; None for an `OR`."""
    for match in _PIECES.finditer(text):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare == "OR":
            yield None
            continue
        if bare is not None:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            bare = bare[1:] if negated else bare
            word = bare.rstrip("*")
            prefix = word != bare and _WORDS.fullmatch(word) is not None
            term = Term((word.lower(),), prefix=True) if prefix else Term(_words(bare))
        else:
            term = Term(_words(quoted))
        if term.words:
            yield bool(negated), term


def parse_query(text: str) -> list[Group]:
    """The query as alternatives (OR) of groups of terms; pieces without a word are dropped.

    Raises QueryTooLarge beyond MAX_QUERY_LENGTH characters or MAX_QUERY_TERMS terms.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLarge(
            f"search query too long: {len(text):,} characters (at most {MAX_QUERY_LENGTH:,})"
        )
    groups: list[Group] = []
    include: list[Term] = []
    exclude: list[Term] = []
    terms = 0
    for piece in itertools.chain(_terms(text), [None]):
        if piece is None:
            if include:
                groups.append(Group(tuple(include), tuple(exclude)))
            include.clear()
            exclude.clear()
            continue
        terms += 1
        if terms > MAX_QUERY_TERMS:
            raise QueryTooLarge(f"search query has too many terms (at most {MAX_QUERY_TERMS})")
        (exclude if piece[0] else include).append(piece[1])
    return groups


def only_exclusions(text: str) -> bool:
    """Whether the query excludes words but asks for none (`-oil`): it can match nothing."""
    pieces = [piece for piece in _terms(text) if piece is not None]
    return bool(pieces) and all(excluded for excluded, _ in pieces)


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in _WORDS.findall(text))


def fts5_query(groups: list[Group]) -> str:
    """An FTS5 MATCH expression: every term a string literal, operators only from the parser."""

    def term(t: Term) -> str:
        quoted = '"' + t.text.replace('"', '""') + '"'
        return quoted + "*" if t.prefix else quoted

    def group(g: Group) -> str:
        expression = "(" + " AND ".join(term(t) for t in g.include) + ")"
        if g.exclude:
            expression += " NOT (" + " OR ".join(term(t) for t in g.exclude) + ")"
        return "(" + expression + ")"

    return " OR ".join(group(g) for g in groups)


def tsquery(groups: list[Group]) -> Any:
    """A PostgreSQL tsquery built from functions over bound strings ('simple' configuration)."""
    config: Any = literal_column("'simple'::regconfig")

    def term(t: Term) -> Any:
        if t.prefix:  # t.text is letters and digits only
            return func.to_tsquery(config, literal("'" + t.text + "':*"))
        return func.phraseto_tsquery(config, literal(t.text))

    def all_of(terms: tuple[Term, ...], combine: str) -> Any:
        expression = term(terms[0])
        for t in terms[1:]:
            expression = getattr(func, combine)(expression, term(t))
        return expression

    def group(g: Group) -> Any:
        expression = all_of(g.include, "tsquery_and")
        if g.exclude:
            expression = func.tsquery_and(
                expression, func.tsquery_not(all_of(g.exclude, "tsquery_or"))
            )
        return expression

    expression = group(groups[0])
    for g in groups[1:]:
        expression = func.tsquery_or(expression, group(g))
    return expression


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
