"""Bounded work per search: ranking capped to the newest matches, date pages walked, facet
counts sampled; each bound changes cost, never which articles match or the exact total."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from newshub_archive import search_bounds
from newshub_archive.facets import facets
from newshub_archive.search import Page as ResultPage
from newshub_archive.search import count_matches, search
from newshub_archive.selection import ArticleFilter
from pipelines.db.models import ArticleRow
from tests.newshub_archive.sample_archive import T0, Page, archive

CATEGORIES = ("Economy", "Sport", "Politics")


def pages(count: int) -> list[Page]:
    """`count` articles that all mention oil; the first archived mentions it most, in its title."""
    made = [Page("oil-oil-oil", "Oil oil oil", "Oil, oil and oil.", published_at=T0)]
    for n in range(1, count):
        made.append(
            Page(
                f"story-{n}",
                f"Story {n}",
                f"Markets moved on day {n}. Oil was mentioned once among many other words here.",
                published_at=T0 - timedelta(days=(n * 7) % count, hours=n),
                category=CATEGORIES[n % 3],
            )
        )
    return made


@pytest.fixture
def oily(engine: Engine, tmp_path: Path) -> dict[str, int]:
    archive(engine, tmp_path / "warcs", pages(40))
    with engine.connect() as connection:
        rows = connection.execute(select(ArticleRow.url, ArticleRow.id)).all()
    return {url.rstrip("/").rsplit("/", 1)[1]: article_id for url, article_id in rows}


def test_relevance_ranks_only_the_newest_candidates(
    engine: Engine, oily: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert search(engine, "oil")[0].id == oily["oil-oil-oil"]  # under the bound: every match
    monkeypatch.setattr(search_bounds, "RANK_CANDIDATES", 10)
    postgres = engine.dialect.name == "postgresql"
    if postgres:  # the floor comes from the planner's estimate of the matches: pin it
        monkeypatch.setattr(search_bounds, "estimated_rows", lambda connection, query: 40)
    hits = search(engine, "oil", limit=40)
    newest = sorted(oily.values())[-10:]
    assert sorted(hit.id for hit in hits) == newest  # the 10 newest by archive order, ranked
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert count_matches(engine, "oil") == 40  # the count is never bounded
    if not postgres:  # a known count under the bound spares SQLite finding the floor
        assert [h.id for h in search(engine, "oil", limit=40, matches=40)] == [h.id for h in hits]
        assert len(search(engine, "oil", limit=40, matches=10)) == 40
    filtered = search(engine, "oil", ArticleFilter(category="Sport"), limit=40)
    sport = [i for slug, i in oily.items() if slug.startswith("story-") and int(slug[6:]) % 3 == 1]
    # SQLite finds the exact floor after the filter; PostgreSQL the estimated one.
    expected = [i for i in sport if i in newest] if postgres else sorted(sport)[-10:]
    assert sorted(hit.id for hit in filtered) == sorted(expected)


@pytest.mark.parametrize("query", ["oil", "markets oil", '"oil was mentioned"', "oil -day"])
def test_date_pages_are_the_same_walked_or_sorted(
    engine: Engine, oily: dict[str, int], monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    def dated(offset: int, **where: str) -> list[int]:
        page = ResultPage(limit=7, offset=offset, order="date")
        return [hit.id for hit in search(engine, query, ArticleFilter(**where), page=page)]

    monkeypatch.setattr(search_bounds, "DATE_WALK_COST", 10**9)  # always sort
    sorted_pages = [dated(offset) for offset in (0, 7, 35)] + [dated(0, category="Sport")]
    monkeypatch.setattr(search_bounds, "DATE_WALK_COST", 0)  # always walk (not prefixes)
    walked_pages = [dated(offset) for offset in (0, 7, 35)] + [dated(0, category="Sport")]
    assert walked_pages == sorted_pages
    assert sorted_pages[0], query


def test_facets_of_many_matches_are_sampled_and_marked(
    engine: Engine, oily: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = facets(engine, "oil")
    assert not exact.approximate and exact.total_exact and exact.total == 40
    assert sum(count for _, count in exact.counts["category"]) == 40
    monkeypatch.setattr(search_bounds, "FACET_SAMPLE", 10)
    rare = facets(engine, '"oil oil oil"')  # one match: below the sample size, exact
    assert not rare.approximate and rare.total_exact and rare.total == 1
    monkeypatch.setattr(search_bounds, "SAMPLE_BUCKETS", 8)  # 40 matches: residues 0, 1 of 8
    if engine.dialect.name == "postgresql":  # the planner's estimate, not a count, decides
        monkeypatch.setattr(search_bounds, "estimated_rows", lambda connection, query: 40)
    sampled = facets(engine, "oil")
    in_sample = [i for i in oily.values() if i % 8 < 2]
    assert sampled.approximate
    assert sum(count for _, count in sampled.counts["category"]) == 4 * len(in_sample)
    assert all(count % 4 == 0 for pairs in sampled.counts.values() for _, count in pairs)
    assert {value for value, _ in sampled.counts["category"]} <= set(CATEGORIES)
    if engine.dialect.name == "postgresql":  # estimated from the sample: counting reads all
        assert not sampled.total_exact and sampled.total == 4 * len(in_sample)
    else:  # FTS5 counts its matches cheaply: the total stays exact
        assert sampled.total_exact and sampled.total == 40


def test_postgres_estimates_come_from_the_planner(engine: Engine, oily: dict[str, int]) -> None:
    if engine.dialect.name != "postgresql":
        return
    from sqlalchemy import literal_column

    from newshub_archive.query_language import parse_query, tsquery

    vector = literal_column("articles.search_vector")
    with engine.connect() as connection:
        query = select(ArticleRow.__table__.c.id).where(
            vector.op("@@")(tsquery(parse_query("oil")))
        )
        assert 1 <= search_bounds.estimated_rows(connection, query) <= 1000
