"""`newshub serve` from the command line, and `newshub demo` saying how to open it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from crawler.cli import main
from crawler.cli.serve import serve_command
from newshub_archive.replay import free_port
from tests.newshub_archive.sample_archive import Page, archive


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[str]:
    """`newshub serve ARGS` as a process; yields its base URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/api/sources", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "newshub serve did not answer"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.stdout is not None
    assert process.stdout.read().startswith(f"newshub archive at {base}/")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        return json.load(response)


def test_serve_reads_the_archive(engine: Engine, database_url: str, tmp_path: Path) -> None:
    archive(engine, tmp_path / "warcs", [Page("vote", "Budget vote", "The council voted.")])
    env = {"NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_DATABASE_URL": database_url}
    with serving(env, "--replay-url", "http://127.0.0.1:9") as base:
        found = get_json(base + "/api/search?q=council")
        assert [hit["title"] for hit in found["hits"]] == ["Budget vote"]
        article = get_json(f"{base}/api/articles/{found['hits'][0]['id']}")
        assert article["replay_url"].startswith("http://127.0.0.1:9/newshub/20260501120000/")
        with urllib.request.urlopen(base + "/", timeout=10) as page:
            assert "Budget vote" in page.read().decode()


def test_serve_refuses_other_addresses_without_credentials(tmp_path: Path) -> None:
    env = {"NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_WEB_TOKEN": "", "NEWSHUB_WEB_AUTH": ""}
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"], env=env)
    assert result.exit_code == 1
    assert result.output == (
        "Error: serving on 0.0.0.0 makes the archive reachable from other machines: set "
        "NEWSHUB_WEB_TOKEN (a bearer token) or NEWSHUB_WEB_AUTH (user:password) first\n"
    )
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert (result.exit_code, result.output) == (
        1,
        "Error: the database holds no archive yet: run newshub demo or a crawl first\n",
    )
    env["NEWSHUB_WEB_AUTH"] = "no-colon"
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert (result.exit_code, result.output) == (
        1,
        "Error: NEWSHUB_WEB_AUTH must be user:password\n",
    )


def test_demo_ends_with_the_command_that_serves_what_it_archived(tmp_path: Path) -> None:
    data = tmp_path / "demo data"
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSHUB_")}
    env["NEWSHUB_DATA_DIR"] = str(data)
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--articles", "5", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"browse it: {serve_command(env)}  (then open http://127.0.0.1:8000/")
    command = shlex.split(last.removeprefix("browse it: ").split("  (")[0])
    assert command[-2:] == ["newshub", "serve"]
    served_env = dict(assignment.split("=", 1) for assignment in command[:-2])
    assert served_env == {"NEWSHUB_DATA_DIR": str(data.resolve())}
    with serving(served_env) as base:
        assert get_json(base + "/api/search")["total"] == 5
