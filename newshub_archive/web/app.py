"""The archive's web interface: a read-only FastAPI application over the archive database.

`create_app` wires the pieces: the routes (an HTML page and a JSON twin for each), Jinja2
templates, the static stylesheet, the security middleware, and one error handler that turns
newshub's one-line errors into a 400/404 page or JSON body. `newshub serve` runs it in uvicorn.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from crawler.config import Source
from crawler.errors import NewshubError
from newshub_archive.replay_urls import replay_base as configured_replay_base
from newshub_archive.show import ArticleNotFound
from newshub_archive.web import render
from newshub_archive.web.archive import Archive, NotFound, read_only
from newshub_archive.web.routes import articles, search
from newshub_archive.web.routes import sources as source_routes
from newshub_archive.web.security import Credentials, SecurityMiddleware, content_security_policy

HERE = Path(__file__).resolve().parent


def create_app(
    engine: Engine,
    *,
    replay_base: str | None = None,
    sources: Mapping[str, Source] | None = None,
    credentials: Credentials | None = None,
) -> FastAPI:
    """The interface over `engine` (made read-only), replaying from pywb at `replay_base`."""
    base = (replay_base or configured_replay_base()).rstrip("/")
    app = FastAPI(
        title="newshub archive",
        summary="Search, read and replay the articles newshub archived (read-only).",
        version="1",
        docs_url=None,  # Swagger UI loads scripts from a CDN: the CSP forbids it
        redoc_url=None,
    )
    app.state.archive = Archive(read_only(engine), base, dict(sources or {}))
    templates = Jinja2Templates(directory=HERE / "templates")
    render.install(templates.env)
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (search, articles, source_routes):
        app.include_router(module.pages)
        app.include_router(module.api, prefix="/api")
    app.add_exception_handler(NewshubError, _newshub_error)
    app.add_middleware(
        SecurityMiddleware,
        credentials=credentials if credentials is not None else Credentials.from_environ(),
        policy=content_security_policy(base),
    )
    return app


async def _newshub_error(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, ArticleNotFound | NotFound) else 400
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(exc)}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"message": str(exc), "status": status}, status_code=status
    )
