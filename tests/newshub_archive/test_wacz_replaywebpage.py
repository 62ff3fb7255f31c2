"""`newshub wacz` output opened in ReplayWeb.page, the other archive viewer, in headless Chromium.

ReplayWeb.page is the `replaywebpage` npm package (its built `ui.js` and service worker
`sw.js`), which .ci/run unpacks into .ci/node/replaywebpage. A tiny static server (Starlette's,
which answers the Range requests ReplayWeb.page reads a WACZ with) serves it, the WACZ and a
page with a `<replay-web-page>` element on http://127.0.0.1, a secure context, so the service
worker may run. The archived article must render with its image.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from crawler.cli import main
from newshub_archive.replay import free_port
from tests.browser_tools import ServerThread, screenshots_dir
from tests.newshub_archive.web import web_archive

REPO = Path(__file__).resolve().parents[2]
PACKAGE = Path(os.environ.get("NEWSHUB_REPLAYWEBPAGE") or REPO / ".ci" / "node" / "replaywebpage")
EMBED = """<!doctype html>
<html><head><meta charset="utf-8"><title>newshub in ReplayWeb.page</title>
<script src="ui.js"></script>
<style>html, body { margin: 0; height: 100%; } replay-web-page { height: 100vh; }</style></head>
<body><replay-web-page source="archive.wacz" url="{url}" embed="replayonly"></replay-web-page>
</body></html>
"""


def replaywebpage() -> Path:
    if not (PACKAGE / "ui.js").is_file() or not (PACKAGE / "sw.js").is_file():
        reason = f"ReplayWeb.page is not unpacked in {PACKAGE} (.ci/run does it with npm pack)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return PACKAGE


def test_wacz_opens_in_replaywebpage_with_its_image(
    chromium: Any, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    package = replaywebpage()
    urls = web_archive.build(engine, tmp_path / "warcs")
    site = tmp_path / "site"
    (site / "replay").mkdir(parents=True)
    env = {"NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_DATABASE_URL": database_url}
    result = CliRunner().invoke(
        main, ["wacz", "-s", "hub", "-o", str(site / "archive.wacz")], env=env
    )
    assert result.exit_code == 0, result.output
    shutil.copy(package / "ui.js", site / "ui.js")
    shutil.copy(package / "sw.js", site / "replay" / "sw.js")  # its default replayBase
    shutil.copy(package / "ui.js", site / "replay" / "ui.js")  # what the replay frame loads
    article = urls["image"]
    (site / "index.html").write_text(EMBED.replace("{url}", article), encoding="utf-8")
    static = Starlette(routes=[Mount("/", StaticFiles(directory=site, html=True))])
    with ServerThread(static, free_port()) as server:
        context = chromium.new_context(viewport={"width": 1000, "height": 700})
        page = context.new_page()
        try:
            page.goto(server.url + "/index.html")
            try:
                frame = _frame_showing(page, article, timeout=45.0)
            except AssertionError:
                # In one whole-suite run ReplayWeb.page showed no archived frame within the wait
                # (it passes alone and in every subset tried; cause not found): a reader would
                # reload once, and so does the test. A second miss still fails.
                page.reload()
                frame = _frame_showing(page, article)
            frame.wait_for_function(
                "width => [...document.images].some(i => i.complete && i.naturalWidth === width)",
                arg=web_archive.IMAGE_WIDTH,
                timeout=30_000,
            )
            assert "Harbour photo of the day" in frame.inner_text("h1")
            shots = screenshots_dir(tmp_path / "screenshots")
            if engine.dialect.name == "sqlite":
                page.screenshot(path=str(shots / "replaywebpage.png"))
        finally:
            context.close()


def _frame_showing(page: Any, url: str, timeout: float = 60.0) -> Any:
    """The frame ReplayWeb.page renders the archived `url` in (inside its shadow DOM)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.url.endswith("/" + url) and frame != page.main_frame:
                return frame
        page.wait_for_timeout(250)
    raise AssertionError(f"ReplayWeb.page showed no frame of {url}: {[f.url for f in page.frames]}")
