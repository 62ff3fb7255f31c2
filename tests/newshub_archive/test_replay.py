"""Replay in real pywb of two real crawls of the demo hub (gzip, chunked, redirects, revisits).

The hub is crawled twice by `newshub crawl` processes; the second crawl finds every page
unchanged, so it archives revisit records. pywb (`wayback`, from the replay tools venv) then
serves the WARC files, and every article must come back as the server sent it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from crawler.cli import main
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from newshub_archive.replay import ReplayServer
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, Capture
from tests.replay_tools import tools_venv

ARTICLES = 30
CHROMIUM = Path("/usr/bin/chromium")


class Replayed:
    """The demo hub, its archive after two crawls, and pywb serving that archive."""

    def __init__(self, hub: DemoHub, site: DemoServer, data: Path, pywb: ReplayServer) -> None:
        self.hub, self.site, self.data, self.pywb = hub, site, data, pywb
        self.engine: Engine = make_engine(f"sqlite:///{data / 'newshub.db'}")

    def captures(self, **where: object) -> list:
        query = select(Capture).where(*(getattr(Capture, k) == v for k, v in where.items()))
        with self.engine.connect() as connection:
            return list(connection.execute(query.order_by(Capture.id)))

    def first_capture(self, url: str) -> datetime:
        (capture, *_) = self.captures(url=url, record_type="response", status=200)
        return capture.fetched_at

    def get(self, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        """GET without redirects or decoding: the bytes pywb sends."""
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def expected(self, path: str, gzip: bool) -> bytes:
        return self.hub.render(path, base_url=self.site.url, accept_gzip=gzip).body


def crawl(site: DemoServer, data: Path) -> None:
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(data)}
    env.pop("NEWSHUB_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--url", site.url + "/", "--name", "hub",
         "--concurrency", "8", "--delay", "0"],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    venv = tools_venv()
    data = tmp_path_factory.mktemp("replay")
    hub = DemoHub(articles=ARTICLES, seed=21)
    with DemoServer(hub) as site:
        crawl(site, data)
        crawl(site, data)
        pywb = ReplayServer(data / "warcs", data / "replay", venv / "bin" / "wayback", port=0)
        with pywb:
            archive = Replayed(hub, site, data, pywb)
            yield archive
            archive.engine.dispose()


def test_raw_replay_returns_exactly_what_the_server_sent(replayed: Replayed) -> None:
    chunked = 0
    for article in replayed.hub.articles:
        url = replayed.site.url + article.path
        raw = replayed.pywb.url(replayed.first_capture(url), url, "id_")
        status, headers, body = replayed.get(raw, **{"Accept-Encoding": "gzip"})
        assert status == 200, url
        assert headers.get("content-encoding") == "gzip"
        assert body == replayed.expected(article.path, gzip=True), url
        # Chunked on the wire: no length archived, pywb frames it; else the archived length.
        assert int(headers.get("content-length", len(body))) == len(body)
        status, headers, body = replayed.get(raw)  # a client that cannot take gzip
        assert status == 200 and "content-encoding" not in headers
        assert body == replayed.expected(article.path, gzip=False), url
        chunked += replayed.hub.render(article.path, base_url=replayed.site.url).chunked
    assert chunked >= ARTICLES // 3  # some pages came with chunked transfer coding


def test_rewritten_replay_returns_the_page(replayed: Replayed) -> None:
    for article in replayed.hub.articles:
        url = replayed.site.url + article.path
        status, headers, body = replayed.get(
            replayed.pywb.url(replayed.first_capture(url), url, "mp_")
        )
        assert status == 200 and headers["content-type"].startswith("text/html")
        page = body.decode(article.charset if article.charset != "utf-8" else "utf-8", "replace")
        assert escape(article.title) in page or article.title in page, url
        assert "wombat" in page  # pywb's client-side rewriting is in place


def test_redirect_replays_as_a_redirect(replayed: Replayed) -> None:
    redirects = replayed.captures(status=301)
    assert redirects
    for capture in redirects:
        raw = replayed.pywb.url(capture.fetched_at, capture.url, "id_")
        status, headers, _ = replayed.get(raw)
        assert status == 301, capture.url
        original = replayed.hub.render(_target(capture.url), base_url=replayed.site.url)
        assert headers["location"] == original.header("Location")
        # Rewritten, the redirect stays inside the archive.
        status, headers, _ = replayed.get(replayed.pywb.url(capture.fetched_at, capture.url, "mp_"))
        assert status in (301, 302), capture.url
        assert headers["location"].startswith(replayed.pywb.base + "/"), headers["location"]


def test_second_crawl_archived_revisits_that_replay_the_original(replayed: Replayed) -> None:
    second_run = max(c.run_id for c in replayed.captures())
    revisits = [
        c
        for c in replayed.captures(record_type="revisit", status=200)
        if (c.content_type or "").startswith("text/html")
    ]
    assert revisits and {c.run_id for c in revisits} == {second_run}
    for capture in revisits:
        target = _target(capture.url)
        raw = replayed.pywb.url(capture.fetched_at, capture.url, "id_")
        status, headers, body = replayed.get(raw, **{"Accept-Encoding": "gzip"})
        assert status == 200 and body == replayed.expected(target, gzip=True), capture.url
        # pywb served the revisit (its date), with the original's payload.
        assert headers["memento-datetime"] == _http_date(capture.fetched_at)
        status, headers, body = replayed.get(raw)
        assert status == 200 and body == replayed.expected(target, gzip=False)
        status, _, body = replayed.get(replayed.pywb.url(capture.fetched_at, capture.url, "mp_"))
        assert status == 200 and b"wombat" in body


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _http_date(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_warcio_check_passes_on_every_file(replayed: Replayed) -> None:
    files = sorted((replayed.data / "warcs").glob("*.warc.gz"))
    assert len(files) == 2
    warcio = Path(sys.executable).with_name("warcio")
    result = subprocess.run(
        [str(warcio), "check", *map(str, files)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_export_replay_urls_open_in_pywb(replayed: Replayed) -> None:
    env = {
        "NEWSHUB_DATA_DIR": str(replayed.data),
        "NEWSHUB_DATABASE_URL": str(replayed.engine.url),
        "NEWSHUB_REPLAY_URL": replayed.pywb.base.rsplit("/", 1)[0],
    }
    result = CliRunner().invoke(main, ["export", "--source", "hub"], env=env)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == ARTICLES
    for row in rows[:5]:
        status, _, body = replayed.get(row["replay_url"].replace("/http", "mp_/http", 1))
        assert status == 200 and row["url"].encode() in body


@pytest.mark.slow
def test_chromium_requests_no_requisite_missing_from_the_archive(replayed: Replayed) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but /usr/bin/chromium is missing (.ci/run installs it)")
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium"
        )
    with replayed.engine.connect() as connection:
        articles = list(connection.execute(select(ArticleRow.url).order_by(ArticleRow.id).limit(3)))
    log = replayed.pywb.log_path
    for (url,) in articles:
        start = log.stat().st_size
        page = replayed.pywb.url(replayed.first_capture(url), url)  # framed, as a reader opens it
        profile = replayed.data / "chromium-profile"
        subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=8000",
             "--dump-dom", page],
            capture_output=True, timeout=90,
        )  # fmt: skip
        shutil.rmtree(profile, ignore_errors=True)
        time.sleep(0.5)  # pywb writes its access log line after the response
        with open(log, "rb") as stream:
            stream.seek(start)
            lines = stream.read().decode("utf-8", "replace").splitlines()
        requests = [(m[1], int(m[2])) for m in map(_ACCESS.search, lines) if m]
        archived = [(target, code) for target, code in requests if _ARCHIVE_TARGET.match(target)]
        missing = [target for target, code in archived if code >= 400]
        assert not missing, f"{url}: requisites missing from the archive: {missing}"
        fetched = " ".join(target for target, _ in archived)
        for requisite in ("style.css", "jquery.min.js", "/wp-content/uploads/"):
            assert requisite in fetched, f"{url}: Chromium never asked for {requisite}"


# pywb's access log: "GET /newshub/20260101000000mp_/http://... HTTP/1.1" 200 1234 0.01
_ACCESS = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d{3})')
_ARCHIVE_TARGET = re.compile(r"^/newshub/\d{14}[a-z]{0,2}_?/https?://")


def test_replay_command_serves_and_says_how_to_open_an_article(
    replayed: Replayed, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[int] = []

    def open_example_then_stop(server: ReplayServer) -> int:
        status, _, _ = replayed.get(server.url(replayed.first_capture(example), example, "mp_"))
        opened.append(status)
        return 0

    monkeypatch.setattr(ReplayServer, "wait", open_example_then_stop)
    with replayed.engine.connect() as connection:
        example = connection.execute(select(ArticleRow.url).order_by(ArticleRow.id)).scalar()
    env = {
        "NEWSHUB_DATA_DIR": str(replayed.data),
        "NEWSHUB_DATABASE_URL": str(replayed.engine.url),
        "NEWSHUB_PYWB_VENV": str(tools_venv()),
    }
    result = CliRunner().invoke(main, ["replay", "--port", "0"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"pywb serves {replayed.data / 'warcs'} at http://127.0.0.1:")
    assert re.fullmatch(r"  http://127\.0\.0\.1:\d+/newshub/\d{14}/http://\S+", lines[2]), lines
    assert opened == [200]


def test_replay_command_errors_are_one_line(tmp_path: Path) -> None:
    env = {"NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_PYWB_VENV": str(tools_venv())}
    result = CliRunner().invoke(main, ["replay", "--port", "0"], env=env)
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"Error: no WARC folder at {tmp_path / 'warcs'} (crawl something first)"
    )
    env["NEWSHUB_PYWB_VENV"] = str(tmp_path / "no-venv")
    env["PATH"] = str(tmp_path)
    result = CliRunner().invoke(main, ["replay", "--no-install"], env=env)
    assert result.exit_code == 1 and result.output.startswith("Error: pywb not found")
    result = CliRunner().invoke(main, ["replay", "--port", "70000"], env=env)
    assert result.exit_code == 2 and "70000" in result.output
