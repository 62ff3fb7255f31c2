"""Bounds on the work of one search, so a page costs about the same whatever the archive's size.

A word found in most articles would otherwise have every match ranked, sorted or counted: on
100,000 articles, 0.1–0.2 s on SQLite and seconds on PostgreSQL, whose planner does not count
the cost of reading each row's out-of-line tsvector. The bounds change cost and, past them,
which matches are ranked and how facets are counted; never which articles match.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import Connection, func, select, text

from pipelines.db.models import ArticleRow

# Relevance ranks at most about this many matches: the newest (highest article id, archive
# order). A first page is almost always among recent articles; more words or a filter narrow
# the matches below the bound, and then every match is ranked.
RANK_CANDIDATES = 2000
# A date-ordered page walks the published_at index, testing each article for the match (FTS5
# seeks its doclists), or sorts every match by date: testing one walked article costs about as
# much as sorting this many matches (measured on 100,000 articles: ~30 µs against ~1.6 µs), so
# the walk is chosen when it tests fewer articles than that many times the matches.
DATE_WALK_COST = 20
# Past this many matches, facet counts come from a systematic sample of about this many
# (ids in some residues mod SAMPLE_BUCKETS), each count multiplied back and marked "≈". Ids
# follow archive order, not any facet, so the sample spreads evenly over facet values.
FACET_SAMPLE = 5000
# PostgreSQL indexes `id % SAMPLE_BUCKETS` (migration 0007) so a sample reads only its rows.
SAMPLE_BUCKETS = 64


def prefer_index_scans(connection: Connection, *, bitmaps_only: bool = False) -> None:
    """Keep PostgreSQL's planner off plans that read every row's tsvector, for this transaction.

    Its cost model does not count reading a row's TOASTed vector, so for a common word it picks
    a scan that tests every article's vector over the GIN index, which reads only the matches'
    short columns. `bitmaps_only` also rules out index scans that test each row's vector (a
    sample's rows are then intersected with the GIN matches: BitmapAnd). JIT goes off too: the
    disabled plans' penalty costs push every plan past jit_above_cost, and compiling one takes
    longer than any of these queries runs.
    """
    if connection.dialect.name != "postgresql":
        return
    connection.execute(text("SET LOCAL jit = off"))
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    if bitmaps_only:
        connection.execute(text("SET LOCAL enable_indexscan = off"))


def estimated_rows(connection: Connection, query: Any) -> int:
    """PostgreSQL's planner estimate of the rows `query` returns (from its statistics: free)."""
    compiled = query.compile(dialect=connection.dialect)
    plan = connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params
    ).scalar_one()
    return int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])


def postgres_candidate_floor(connection: Connection, matches: Any) -> int | None:
    """An id below which matches are not ranked: about RANK_CANDIDATES newest remain.

    From the planner's estimate of the matches and the span of ids, so it costs no pass over
    the matches (an exact floor would read them all); None when they are few enough to rank.
    """
    estimate = estimated_rows(connection, matches)
    if estimate <= RANK_CANDIDATES:
        return None
    article = ArticleRow.__table__
    low, high = connection.execute(select(func.min(article.c.id), func.max(article.c.id))).one()
    if low is None:
        return None
    span = high - low + 1
    return int(high - math.ceil(span * RANK_CANDIDATES / estimate) + 1)


def sample_share(matches: int) -> int:
    """How many of SAMPLE_BUCKETS residues to count so about FACET_SAMPLE matches are read."""
    return max(1, math.ceil(SAMPLE_BUCKETS * FACET_SAMPLE / max(matches, 1)))
