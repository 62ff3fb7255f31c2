"""`newshub replay` as a user runs it: from the default relative ./data, failing loudly.

pywb (`wayback`) comes from the replay tools venv (tests/replay_tools.py).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newshub_archive.replay import free_port
from newshub_archive.replay_urls import wayback_timestamp
from pipelines.db import schema
from pipelines.db.engine import make_engine
from tests.newshub_archive.sample_archive import T0, Page, archive, page_html
from tests.replay_tools import tools_venv

PAGE = Page("one", "Oil deal signed", "Ministers signed the accord.")
LATER = Page("two", "Closed while replaying", "A WARC closed after pywb started.")


def get(url: str) -> tuple[int, bytes]:
    host, _, path = url.removeprefix("http://").partition("/")
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request("GET", "/" + path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def newshub_replay(cwd: Path, *args: str, replay_url: str = "") -> subprocess.Popen[str]:
    """`newshub replay ARGS` in cwd with the default data folder (./data) and database."""
    env = {**os.environ, "NEWSHUB_PYWB_VENV": str(tools_venv())}
    for name in ("NEWSHUB_DATA_DIR", "NEWSHUB_DATABASE_URL", "NEWSHUB_REPLAY_URL"):
        env.pop(name, None)
    if replay_url:
        env["NEWSHUB_REPLAY_URL"] = replay_url
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "replay", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A folder whose ./data holds an archive of PAGE, as `newshub crawl` leaves it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newshub.db'}")
    schema.upgrade(engine)
    archive(engine, tmp_path / "data" / "warcs", [PAGE])
    engine.dispose()
    yield tmp_path


def test_replay_from_the_default_relative_data_folder(project: Path) -> None:
    port = free_port()
    server = newshub_replay(project, "--port", str(port))
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith(f"pywb serves {project / 'data' / 'warcs'} at "), (
            first + server.stderr.read() if server.poll() is not None else first
        )
        raw = f"http://127.0.0.1:{port}/newshub/{wayback_timestamp(T0)}id_/{PAGE.url()}"
        assert get(raw) == (200, page_html(PAGE))
        # export's replay_url names the configured server: replay says how to make it this one.
        notes = [server.stdout.readline() for _ in range(4)]
        assert any(f"set NEWSHUB_REPLAY_URL=http://127.0.0.1:{port} " in n for n in notes), notes
        # A WARC a running crawl closes (renamed from .open) is indexed by pywb itself.
        engine = make_engine(f"sqlite:///{project / 'data' / 'newshub.db'}")
        archive(engine, project / "data" / "warcs", [LATER])
        engine.dispose()
        later = f"http://127.0.0.1:{port}/newshub/{wayback_timestamp(T0)}id_/{LATER.url()}"
        deadline = time.monotonic() + 30
        while get(later)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert get(later) == (200, page_html(LATER))
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert server.returncode == 0
    assert (project / "data" / "replay" / "pywb.log").exists()


def test_replay_exits_non_zero_within_5_s_when_its_port_is_taken(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        server = newshub_replay(project, "--port", str(port))
        out, err = server.communicate(timeout=30)
        took = time.monotonic() - started
    assert server.returncode == 1 and took < 5, (took, out, err)
    assert err.strip().splitlines() == [
        f"Error: cannot serve on 127.0.0.1:{port}: Address already in use "
        "(another server has the port? choose one with --port)"
    ]
    assert out == ""
    # Without --port, replay serves on the port of NEWSHUB_REPLAY_URL, where replay_urls point.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = newshub_replay(project, replay_url=f"http://127.0.0.1:{port}")
        _, err = server.communicate(timeout=30)
    assert server.returncode == 1 and f"cannot serve on 127.0.0.1:{port}:" in err


def test_replay_exits_non_zero_when_pywb_dies(project: Path) -> None:
    server = newshub_replay(project, "--port", "0")
    assert server.stdout is not None
    assert server.stdout.readline().startswith("pywb serves")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    (wayback,) = children
    os.kill(int(wayback), signal.SIGKILL)
    _, err = server.communicate(timeout=30)
    assert server.returncode == 1
    assert err.strip().startswith("Error: pywb stopped with status -9"), err


def test_replay_install_ahead_of_time_exits_when_pywb_is_there(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    env = {"NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_PYWB_VENV": str(tools_venv())}
    result = CliRunner().invoke(main, ["replay", "--install"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"pywb is installed: {tools_venv().absolute() / 'bin' / 'wayback'}\n"
    missing = {"NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_PYWB_VENV": str(tmp_path / "none")}
    refused = CliRunner().invoke(main, ["replay", "--no-install"], env={**missing, "PATH": ""})
    assert refused.exit_code == 1
    assert refused.output.strip().endswith("run 'newshub replay --install'")
