"""An article's page (`/articles/{id}`), its version diff, and their JSON twins under /api.

The page shows what `newshub show` knows (fields, editions, history of its address, captures,
versions) plus the replay of one
capture, embedded from pywb's origin in a sandboxed iframe.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from newshub_archive.replay_urls import replay_url
from newshub_archive.show import ArticleView, show
from newshub_archive.web.archive import Archive, NotFound
from newshub_archive.web.diff import version_diff

pages = APIRouter()
api = APIRouter(tags=["articles"])

Capture = Annotated[
    str | None, Query(max_length=100, description="WARC-Record-ID of the capture to replay")
]
Version = Annotated[int | None, Query(description="version id (default: the one before b)")]


def chosen_capture(view: ArticleView, record_id: str | None) -> dict[str, Any] | None:
    """The capture asked for, else the one the current fields came from, else the newest."""
    wanted = record_id or view.article["warc_record_id"]
    found = next((c for c in view.captures if c["warc_record_id"] == wanted), None)
    if record_id and found is None:
        raise NotFound(f"article {view.article['id']} has no capture {record_id}")
    return found or (view.captures[-1] if view.captures else None)


def capture_replay_url(archive: Archive, view: ArticleView, capture: dict[str, Any] | None) -> str:
    if capture is None:
        return replay_url(view.article["url"], view.article["last_seen"], archive.replay_base)
    return replay_url(capture["url"], capture["fetched_at"], archive.replay_base)


def versions_to_compare(
    view: ArticleView, a: int | None, b: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Versions a and b (b defaults to the newest, a to the one before b)."""
    by_id = {version["id"]: version for version in view.versions}
    ids = list(by_id)
    if len(ids) < 2:
        raise NotFound(
            f"article {view.article['id']} has {len(ids)} version(s): nothing to compare"
        )
    b = ids[-1] if b is None else b
    if b not in by_id:
        raise NotFound(f"article {view.article['id']} has no version {b}")
    a = ids[max(ids.index(b) - 1, 0)] if a is None else a
    if a not in by_id:
        raise NotFound(f"article {view.article['id']} has no version {a}")
    return by_id[a], by_id[b]


@pages.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
def article_page(request: Request, article_id: int, capture: Capture = None) -> HTMLResponse:
    archive: Archive = request.app.state.archive
    view = show(archive.engine, str(article_id))
    chosen = chosen_capture(view, capture)
    newest = view.versions[-1] if view.versions else {"sources": {}}
    context = {
        "view": view,
        "article": view.article,
        "chosen": chosen,
        "replay_url": capture_replay_url(archive, view, chosen),
        "field_sources": newest["sources"],
        "timeline": _timeline(view.captures),
    }
    return request.app.state.templates.TemplateResponse(request, "article.html", context)


@pages.get("/articles/{article_id}/diff", response_class=HTMLResponse, include_in_schema=False)
def diff_page(
    request: Request, article_id: int, a: Version = None, b: Version = None
) -> HTMLResponse:
    view = show(request.app.state.archive.engine, str(article_id))
    old, new = versions_to_compare(view, a, b)
    context = {"article": view.article, "view": view, "diff": version_diff(old, new)}
    return request.app.state.templates.TemplateResponse(request, "diff.html", context)


def _timeline(captures: list[dict[str, Any]], width: int = 600) -> list[dict[str, Any]]:
    """x positions (0..width) of the captures on a line from the first to the last."""
    if not captures:
        return []
    first, last = captures[0]["fetched_at"], captures[-1]["fetched_at"]
    span = (last - first).total_seconds() or 1.0
    return [
        {**c, "x": round(8 + (c["fetched_at"] - first).total_seconds() / span * (width - 16), 1)}
        for c in captures
    ]


@api.get(
    "/articles/{article_id}",
    summary="An article's fields, captures, replay URL, language editions and history",
)
def article_api(request: Request, article_id: int, capture: Capture = None) -> dict[str, Any]:
    archive: Archive = request.app.state.archive
    view = show(archive.engine, str(article_id))
    chosen = chosen_capture(view, capture)
    return {
        "article": view.article,
        "captures": view.captures,
        "replay_url": capture_replay_url(archive, view, chosen),
        "editions": view.editions,
        "history": view.events,
    }


@api.get("/articles/{article_id}/versions", summary="Every stored version of an article")
def versions_api(request: Request, article_id: int) -> dict[str, Any]:
    view = show(request.app.state.archive.engine, str(article_id))
    return {"article_id": article_id, "versions": view.versions}


@api.get("/articles/{article_id}/diff", summary="Word-level diff of two versions")
def diff_api(
    request: Request, article_id: int, a: Version = None, b: Version = None
) -> dict[str, Any]:
    view = show(request.app.state.archive.engine, str(article_id))
    return version_diff(*versions_to_compare(view, a, b))
