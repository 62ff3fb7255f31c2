"""The search page (`/`) and `/api/search`: one query, the same answer as HTML or JSON.

The whole search lives in the URL (q, filters, sort, page), so a search is a link to share.
With no words it lists the newest articles: the archive's front page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, select

from newshub_archive.facets import Facets, facets, month_range
from newshub_archive.query_language import parse_query
from newshub_archive.search import ORDERS, Hit, Page, search
from newshub_archive.selection import ArticleFilter, SelectionError
from newshub_archive.web.render import MARKS, plain_snippet, snippet_html
from pipelines.db.models import ArticleRow, SourceRow

PAGE_SIZE = 20
FILTERS = ("source", "category", "agency", "language", "author", "since", "until")
SNIPPET_CHARS = 240

pages = APIRouter()
api = APIRouter(tags=["search"])


@dataclass
class SearchParams:
    q: str = ""
    source: str | None = None
    category: str | None = None
    agency: str | None = None
    language: str | None = None
    author: str | None = None
    since: str | None = None
    until: str | None = None
    # relevance or date; relevance needs words, so an empty query sorts by date.
    sort: str | None = None
    page: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, "", 1)}


@dataclass
class Results:
    params: SearchParams
    hits: list[Hit]
    facets: Facets
    sort: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.facets.total // PAGE_SIZE))


def run_search(engine: Engine, params: SearchParams) -> Results:
    """The page of hits the params ask for, with the result count and facet counts."""
    sort = params.sort or ("relevance" if params.q.strip() else "date")
    if sort not in ORDERS:
        raise SelectionError(f"sort must be {' or '.join(ORDERS)}, not {sort!r}")
    if params.page < 1:
        raise SelectionError("page numbers start at 1")
    where = ArticleFilter.parse(**{name: getattr(params, name) for name in FILTERS})
    page = Page(PAGE_SIZE, (params.page - 1) * PAGE_SIZE, sort, MARKS)
    counts = facets(engine, params.q, where)
    if parse_query(params.q):
        known = counts.total if counts.total_exact else None
        hits = search(engine, params.q, where, page=page, matches=known)
    else:
        hits = _newest(engine, where, page)
    return Results(params, hits, counts, sort)


def _newest(engine: Engine, where: ArticleFilter, page: Page) -> list[Hit]:
    """Without a query: the newest articles, their lead (or first words) as the snippet."""
    article, sources = ArticleRow.__table__, SourceRow.__table__
    query = where.apply(
        select(
            article.c.id, sources.c.name, article.c.url, article.c.title, article.c.published_at,
            article.c.category, article.c.agency, article.c.lead, article.c.body,
        ).join(sources, sources.c.id == article.c.source_id)
    ).order_by(article.c.published_at.desc().nulls_last(), article.c.id.desc())  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(query.limit(page.limit).offset(page.offset)).all()
    return [
        Hit(
            row.id,
            row.name,
            row.url,
            row.title,
            row.published_at,
            row.category,
            row.agency,
            score=0.0,
            snippet=" ".join((row.lead or row.body or "").split())[:SNIPPET_CHARS],
        )
        for row in rows
    ]


def month_filters(month: str | None) -> dict[str, str | None]:
    """since/until of a month facet ("YYYY-MM"); no dates for articles without one."""
    if month is None:
        return {"since": None, "until": None}
    start, following = month_range(month)
    return {
        "since": start.date().isoformat(),
        "until": (following - timedelta(days=1)).date().isoformat(),
    }


Text = Annotated[str | None, Query(max_length=500)]


def search_params(
    q: Annotated[str, Query(max_length=500, description='words, "phrases", pre*, OR, -word')] = "",
    source: Text = None,
    category: Text = None,
    agency: Text = None,
    language: Text = None,
    author: Text = None,
    since: Annotated[str | None, Query(description="YYYY-MM-DD: published on or after")] = None,
    until: Annotated[str | None, Query(description="YYYY-MM-DD: published on or before")] = None,
    sort: Annotated[str | None, Query(description="relevance (default with words) or date")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> SearchParams:
    """The search as the URL's query string gives it (shared by the page and the API)."""
    return SearchParams(q, source, category, agency, language, author, since, until, sort, page)


Params = Annotated[SearchParams, Depends(search_params)]


@pages.get("/", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, params: Params) -> HTMLResponse:
    results = run_search(request.app.state.archive.engine, params)
    return request.app.state.templates.TemplateResponse(
        request,
        "search.html",
        {"results": results, "params": params.as_dict(), "month_filters": month_filters},
    )


@api.get("/search", summary="Full-text search with filters, facet counts and pagination")
def search_api(request: Request, params: Params) -> dict[str, Any]:
    results = run_search(request.app.state.archive.engine, params)
    return {
        "query": params.as_dict(),
        "sort": results.sort,
        "total": results.facets.total,
        # False when `total` was estimated from a sample (PostgreSQL, very many matches).
        "total_exact": results.facets.total_exact,
        "page": params.page,
        "pages": results.pages,
        "hits": [
            {
                **asdict(hit),
                "snippet": plain_snippet(hit.snippet),
                "snippet_html": str(snippet_html(hit.snippet)),
            }
            for hit in results.hits
        ],
        "facets": {
            name: [{"value": value, "count": count} for value, count in pairs]
            for name, pairs in results.facets.counts.items()
        },
        # True when the facet counts were estimated from a sample of the matches.
        "facets_approximate": results.facets.approximate,
    }
