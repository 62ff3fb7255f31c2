"""The web interface in a real browser: headless Chromium, uvicorn, pywb, SQLite and PostgreSQL.

One archive per database, served by `create_app` in uvicorn, with pywb (`newshub replay`'s
server) replaying its WARCs on another port. Screenshots go to $NEWSHUB_SCREENSHOTS (the
README's come from `NEWSHUB_SCREENSHOTS=docs/screenshots`), else to a temporary folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from newshub_archive.replay import ReplayServer, free_port
from newshub_archive.web.app import create_app
from newshub_archive.web.security import Credentials
from pipelines.db import schema
from pipelines.db.engine import make_engine
from tests.browser_tools import ServerThread, screenshots_dir
from tests.conftest import fresh_postgres_database
from tests.newshub_archive.web import web_archive
from tests.newshub_archive.web.web_archive import IMAGE_WIDTH
from tests.replay_tools import tools_venv


@dataclass
class Served:
    url: str
    urls: dict[str, str]
    engine: Engine
    shots: Path
    backend: str

    def shot(self, page: Any, name: str) -> None:
        if self.backend == "sqlite":  # the same pages on PostgreSQL
            page.screenshot(path=str(self.shots / f"{name}.png"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("web")
    if request.param == "sqlite":
        database_url = f"sqlite:///{data / 'newshub.db'}"
    else:
        database_url = fresh_postgres_database(request)
    engine = make_engine(database_url)
    schema.upgrade(engine)
    urls = web_archive.build(engine, data / "warcs")
    wayback = tools_venv() / "bin" / "wayback"
    with ReplayServer(data / "warcs", data / "replay", wayback, port=0) as pywb:
        app = create_app(
            engine, replay_base=f"http://127.0.0.1:{pywb.port}", credentials=Credentials()
        )
        with ServerThread(app, free_port()) as server:
            shots = screenshots_dir(data / "screenshots")
            yield Served(server.url, urls, engine, shots, request.param)
    engine.dispose()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1100, "height": 820})
    page = context.new_page()
    yield page
    context.close()


def test_search_phrase_facet_article_and_diff(served: Served, page: Any) -> None:
    page.goto(served.url + "/")
    page.fill("input[name=q]", '"harbour master"')
    page.click("form.search button")
    assert page.inner_text("#total") == "22"
    assert page.locator("ol.hits mark").first.inner_text().lower().startswith("harbour")
    page.click("section[data-facet=category] >> text=Economy")
    assert page.inner_text("#total") == "7"
    assert "category=Economy" in page.url and "q=%22harbour+master%22" in page.url
    served.shot(page, "search")
    page.goto(served.url + "/?q=%22water+supply%22")
    page.click("ol.hits a.title")
    assert page.inner_text("h1") == "Budget vote"
    assert "rejected the water supply budget" in page.inner_text(".body")
    page.click("section.versions button")
    assert re.search(r"/articles/\d+/diff\?a=\d+&b=\d+$", page.url)
    assert page.locator(".diff-body del").all_inner_texts() == ["approved", "Monday."]
    assert page.locator(".diff-body ins").all_inner_texts() == ["rejected", "Tuesday."]
    served.shot(page, "diff")


def test_replay_shows_the_archived_page_and_its_image(served: Served, page: Any) -> None:
    page.goto(served.url + "/?q=photo")
    page.click("ol.hits a.title")
    page.locator("iframe").scroll_into_view_if_needed()
    archived = served.urls["image"]
    content = _frame(page, lambda f: "mp_/" + archived in f.url)
    content.wait_for_selector("img", state="attached", timeout=20_000)
    content.wait_for_function(
        f"() => [...document.images].some(i => i.complete && i.naturalWidth === {IMAGE_WIDTH})",
        timeout=20_000,
    )
    assert "Harbour photo of the day" in content.inner_text("h1")
    # The archived page runs in pywb's origin, not the interface's.
    assert content.evaluate("location.origin") != served.url
    served.shot(page, "article")


def test_xss_page_stays_inert(served: Served, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(served.url + "/?q=payload")
    page.click("ol.hits a.title")
    assert page.inner_text("h1") == web_archive.XSS_TITLE  # shown as text
    assert "onerror=" in page.inner_text(".body")
    page.goto(served.url + "/?q=breaking+OR+payload")
    for url in (page.url, served.url + "/sources"):
        page.goto(url)
        assert page.evaluate("window.__xss") is None
        assert page.locator("main script, main img").count() == 0
    assert dialogs == []
    served.shot(page, "sources")
    page.goto(served.url + "/?q=payload")
    page.click("ol.hits a.title")
    served.shot(page, "xss")


def _frame(page: Any, test: Any, timeout: float = 20.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if test(frame):
                return frame
        page.wait_for_timeout(200)
    raise AssertionError(f"no such frame among {[f.url for f in page.frames]}")
