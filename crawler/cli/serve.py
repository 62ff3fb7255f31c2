"""`newshub serve`: the archive's web interface (search, articles, versions, replay, sources)."""

from __future__ import annotations

import importlib.util
import os
import shlex
from collections.abc import Mapping
from pathlib import Path

import click

from crawler.cli.base import Context, main, pass_context
from crawler.errors import NewshubError

WEB_MODULES = ("fastapi", "jinja2", "uvicorn")
DEFAULT_URL = "http://127.0.0.1:8000/"


def serve_command(environ: Mapping[str, str] | None = None) -> str:
    """The command that serves the archive this environment names (its data folder spelled
    out when it came from NEWSHUB_DATA_DIR, so it works from another shell too)."""
    env = os.environ if environ is None else environ
    if env.get("NEWSHUB_DATA_DIR") and not env.get("NEWSHUB_DATABASE_URL"):
        data = Path(env["NEWSHUB_DATA_DIR"]).resolve()
        return f"NEWSHUB_DATA_DIR={shlex.quote(str(data))} newshub serve"
    return "newshub serve"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", "-p", type=click.IntRange(min=0, max=65535), default=8000, show_default=True
)
@click.option(
    "--replay-url",
    metavar="URL",
    help="pywb server of `newshub replay` (default: $NEWSHUB_REPLAY_URL or http://127.0.0.1:8080).",
)
@pass_context
def serve(obj: Context, host: str, port: int, replay_url: str | None) -> None:
    """Serve a read-only web interface to the archive (127.0.0.1 unless a token is set)."""
    missing = [name for name in WEB_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise NewshubError(
            f"the web interface needs {', '.join(missing)}: pip install 'newshub[web]'"
        )
    import uvicorn

    from newshub_archive.web.app import create_app
    from newshub_archive.web.security import Credentials, check_bind
    from pipelines.db.schema import current_revision

    credentials = Credentials.from_environ()
    check_bind(host, credentials)
    engine = obj.engine()
    if current_revision(engine) is None:
        raise NewshubError("the database holds no archive yet: run newshub demo or a crawl first")
    app = create_app(
        engine,
        replay_base=replay_url,
        sources=obj.sources(required=False),
        credentials=credentials,
    )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"newshub archive at http://{shown}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
