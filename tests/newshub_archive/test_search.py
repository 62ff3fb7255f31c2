"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector): found, ranked, filtered, safe."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from newshub_archive.query_language import (
    MAX_QUERY_TERMS,
    QueryTooLarge,
    Term,
    fts5_query,
    parse_query,
)
from newshub_archive.search import search
from newshub_archive.selection import ArticleFilter, SelectionError
from pipelines.db import schema
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow
from tests.newshub_archive.sample_archive import T0, Page, archive

PAGES = [
    Page(
        "oil-exports",
        "Oil exports reach a record",
        "Crude shipments rose sharply this quarter.\nOfficials expect further growth.",
        published_at=T0 - timedelta(days=10),
        category="Economy",
        agency="IRNA",
        source="alpha",
    ),
    Page(
        "stadium",
        "Football final draws crowds",
        "Fans filled the stadium. Oil companies paid for the oil lights and oil money flowed.",
        published_at=T0 - timedelta(days=5),
        category="Sport",
        agency="Tasnim News Agency",
        source="alpha",
    ),
    Page(
        "tehran-rain",
        "Heavy rain in Tehran",
        "State-run media reported floods near the oil-rich south.\n"
        "A purple elephant parade was cancelled.",
        published_at=T0 - timedelta(days=1),
        category="Society",
        agency="Mehr News Agency",
        source="beta",
    ),
    Page(
        "economy-talks",
        "Economic talks resume",
        "Ministers discussed economies of scale and an economic reform.",
        category="Economy",
        agency="IRNA",
        source="beta",
    ),
    Page(
        "quotes",
        'The minister\'s "NEAR" remarks',
        "He said: don't -- ever; (really) O'Reilly* is 100% sure. Drop table articles, he joked.",
        category="Politics",
        agency=None,
        source="beta",
    ),
]
HOSTILE = [
    '"',
    "'",
    "*",
    '"unterminated phrase',
    "NEAR",
    "NEAR(oil rain)",
    "oil NEAR/2 rain",
    "--",
    "oil --",
    ";",
    "'; DROP TABLE articles; --",
    '"; DELETE FROM articles; --',
    "(oil",
    "oil)",
    "title:oil",
    "^oil",
    "oil AND OR NOT",
    "OR",
    "- -oil",
    "oil & rain | !fans",
    "o'reilly*",
    "***oil***",
    "\x00",
    "\\",
    "%_%",
    ":*",
    "oil:*",
    "{title body}: oil",
    "-",
]


@pytest.fixture
def searchable(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """The sample pages archived; returns {slug: article id}."""
    archive(engine, tmp_path / "warcs", PAGES)
    with engine.connect() as connection:
        rows = connection.execute(select(ArticleRow.url, ArticleRow.id)).all()
    return {url.rstrip("/").rsplit("/", 1)[1]: article_id for url, article_id in rows}


def slugs(engine: Engine, ids: dict[str, int], query: str, **where: str) -> list[str]:
    by_id = {article_id: slug for slug, article_id in ids.items()}
    return [by_id[hit.id] for hit in search(engine, query, ArticleFilter.parse(**where))]


def test_a_phrase_unique_to_a_body_finds_its_article(engine: Engine, searchable) -> None:  # type: ignore[no-untyped-def]
    hits = search(engine, '"purple elephant parade"')
    assert [hit.id for hit in hits] == [searchable["tehran-rain"]]
    hit = hits[0]
    assert hit.title == "Heavy rain in Tehran" and hit.source == "beta"
    assert "[purple" in hit.snippet and "parade]" in hit.snippet  # one span or one per word
    assert search(engine, '"elephant purple"') == []  # a phrase keeps its word order


def test_title_match_ranks_above_body_matches(engine: Engine, searchable) -> None:  # type: ignore[no-untyped-def]
    found = slugs(engine, searchable, "oil")
    assert found[0] == "oil-exports", found  # one title hit beats three body hits
    assert set(found) == {"oil-exports", "stadium", "tehran-rain"}
    scores = [hit.score for hit in search(engine, "oil")]
    assert scores == sorted(scores, reverse=True)


def test_prefix_or_and_exclusion(engine: Engine, searchable) -> None:  # type: ignore[no-untyped-def]
    assert slugs(engine, searchable, "econom*") == ["economy-talks"]
    assert slugs(engine, searchable, "economy") == []  # no stemming: "economies" differs
    assert set(slugs(engine, searchable, "oil -football")) == {"oil-exports", "tehran-rain"}
    assert set(slugs(engine, searchable, "rain OR fans")) == {"tehran-rain", "stadium"}
    assert slugs(engine, searchable, "state-run") == ["tehran-rain"]
    assert slugs(engine, searchable, "OIL Exports") == ["oil-exports"]  # words ANDed, any case


def test_every_filter_is_respected(engine: Engine, searchable) -> None:  # type: ignore[no-untyped-def]
    assert set(slugs(engine, searchable, "oil", source="alpha")) == {"oil-exports", "stadium"}
    assert slugs(engine, searchable, "oil", category="Sport") == ["stadium"]
    assert slugs(engine, searchable, "oil", agency="Mehr News Agency") == ["tehran-rain"]
    day = lambda delta: (T0 + timedelta(days=delta)).date().isoformat()  # noqa: E731
    assert slugs(engine, searchable, "oil", since=day(-2)) == ["tehran-rain"]
    assert slugs(engine, searchable, "oil", until=day(-10)) == ["oil-exports"]  # whole day
    assert slugs(engine, searchable, "oil", since=day(-6), until=day(-4)) == ["stadium"]
    assert slugs(engine, searchable, "oil", source="alpha", category="Society") == []
    assert slugs(engine, searchable, "oil", source="nope") == []
    assert len(search(engine, "oil", limit=2)) == 2


def test_hostile_queries_never_error_or_inject(engine: Engine, searchable) -> None:  # type: ignore[no-untyped-def]
    for query in HOSTILE:
        search(engine, query)  # must not raise
    assert slugs(engine, searchable, "'; DROP TABLE articles; --") == ["quotes"]  # just words
    assert set(slugs(engine, searchable, "NEAR")) == {"quotes", "tehran-rain"}  # a word
    assert slugs(engine, searchable, "o'reilly*") == ["quotes"]
    assert search(engine, '"') == search(engine, "--") == search(engine, ";") == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ArticleRow)).scalar() == 5


def test_index_follows_updates_and_deletes(engine: Engine, searchable) -> None:  # type: ignore[no-untyped-def]
    article = ArticleRow.__table__
    with engine.begin() as connection:
        connection.execute(
            update(article)
            .where(article.c.id == searchable["stadium"])
            .values(body="The match was replayed in a hailstorm.")
        )
        connection.execute(update(article).values(last_seen=T0 + timedelta(days=1)))
    assert slugs(engine, searchable, "hailstorm") == ["stadium"]
    assert "stadium" not in slugs(engine, searchable, "oil")
    assert slugs(engine, searchable, "football") == ["stadium"]  # title still indexed


def test_oversized_queries_are_refused_at_once(engine: Engine, searchable) -> None:  # type: ignore[no-untyped-def]
    many = " ".join(f"word{i}" for i in range(5000))
    started = time.perf_counter()
    with pytest.raises(QueryTooLarge, match="too long"):
        search(engine, many)
    with pytest.raises(QueryTooLarge, match="too many terms"):
        search(engine, " ".join("w" for _ in range(MAX_QUERY_TERMS + 1)))
    assert time.perf_counter() - started < 1.0
    widest = " OR ".join(["oil"] * (MAX_QUERY_TERMS // 2) + ["rain"] * (MAX_QUERY_TERMS // 2))
    assert set(slugs(engine, searchable, widest)) >= {"oil-exports", "tehran-rain"}


def test_query_parsing() -> None:
    assert parse_query("") == [] and parse_query('" -- ; *') == []
    (group,) = parse_query('Oil "state-run media" econ* -football')
    assert group.include == (Term(("oil",)), Term(("state", "run", "media")), Term(("econ",), True))
    assert group.exclude == (Term(("football",)),)
    assert len(parse_query("a OR b OR")) == 2 and parse_query("-only") == []
    assert fts5_query(parse_query('"NEAR" x*')) == '(("near" AND "x"*))'
    with pytest.raises(SelectionError):
        ArticleFilter.parse(since="yesterday")
    with pytest.raises(SelectionError):
        ArticleFilter.parse(since="2026-05-02", until="2026-05-01")


def test_sqlite_file_works_in_sqlite_utils(tmp_path: Path) -> None:
    """Datasette and sqlite-utils find the FTS table by its content= declaration."""
    sqlite_utils = pytest.importorskip("sqlite_utils")
    path = tmp_path / "newshub.db"
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    archive(engine, tmp_path / "warcs", PAGES)
    engine.dispose()
    table = sqlite_utils.Database(str(path))["articles"]
    assert table.detect_fts() == "articles_fts"
    assert [row["title"] for row in table.search("elephant")] == ["Heavy rain in Tehran"]
    with sqlite3.connect(path) as connection:  # plain sqlite3: bm25 ranking works there too
        rows = connection.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'oil' "
            "ORDER BY bm25(articles_fts, 10.0, 1.0)"
        ).fetchall()
    assert len(rows) == 3


@pytest.mark.postgres
def test_same_ids_on_sqlite_and_postgresql(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    from tests.conftest import fresh_postgres_database

    results = []
    for url in (f"sqlite:///{tmp_path / 'same.db'}", fresh_postgres_database(request)):
        engine = make_engine(url)
        try:
            schema.upgrade(engine)
            archive(engine, tmp_path / url.split(":")[0], PAGES)
            queries = ["oil", '"purple elephant"', "econom*", "oil -football", "rain OR fans"]
            queries += ["state-run", "don't", "minister's", *HOSTILE]
            results.append(
                {query: sorted(hit.id for hit in search(engine, query)) for query in queries}
            )
            results[-1]["oil (first)"] = [search(engine, "oil")[0].id]
            results[-1]["oil in alpha since"] = [
                hit.id
                for hit in search(
                    engine, "oil", ArticleFilter.parse(source="alpha", since="2026-04-25")
                )
            ]
        finally:
            engine.dispose()
    sqlite_results, postgres_results = results
    assert sqlite_results == postgres_results
