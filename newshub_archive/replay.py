"""Replay of the archive in pywb (``wayback``), with a collection kept in step with the WARCs.

pywb 2.10 pins old libraries (redis 2, werkzeug, pyOpenSSL < 26.2) and ships ``brotlipy``,
which clobbers the ``brotli`` module Scrapy uses; it cannot share newshub's environment. It
lives in its own venv (``$NEWSHUB_PYWB_VENV``, default ``<data>/.pywb-venv``), created with
pip on first use. The collection is ``<data>/replay/collections/COLL``: ``archive`` links to
the WARC folder and ``indexes`` holds one CDXJ per closed WARC, refreshed while pywb runs
(pywb merges them per lookup, so a WARC closed by a running crawl becomes replayable).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from crawler.errors import NewshubError
from newshub_archive.cdxj import sync_indexes
from newshub_archive.replay_urls import COLLECTION, wayback_timestamp
from pipelines.db.models import ArticleRow, Capture

PYWB_REQUIREMENT = "pywb==2.10.0"
DEFAULT_PORT = 8080
# pywb's configuration: no live web, no recording; replay only.
_CONFIG = """\
# Written by newshub replay: serve the archive only, never the live web.
collections_root: collections
framed_replay: true
enable_memento: true
"""


class ReplayError(NewshubError):
    """Replay could not start; the message is one line for the user."""


def latest_article(engine: Engine) -> tuple[str, datetime] | None:
    """(archived URL, capture time) of the most recently captured article, if any."""
    article, capture = ArticleRow.__table__, Capture.__table__
    query = (
        select(capture.c.url, capture.c.fetched_at)
        .join(article, article.c.warc_record_id == capture.c.warc_record_id)
        .order_by(capture.c.fetched_at.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return (row.url, row.fetched_at) if row else None


def pywb_venv(data_dir: str | os.PathLike[str], environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("NEWSHUB_PYWB_VENV") or Path(data_dir) / ".pywb-venv")


def find_wayback(venv: str | os.PathLike[str]) -> Path | None:
    """pywb's ``wayback`` in venv, next to this Python, or on PATH."""
    for candidate in (Path(venv) / "bin" / "wayback", Path(sys.executable).with_name("wayback")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("wayback")
    return Path(found) if found else None


def install_tools(venv: str | os.PathLike[str], requirements: list[str]) -> None:
    """Create venv (if needed) and pip-install requirements into it. Blocking, ~30 s."""
    venv = Path(venv)
    python = venv / "bin" / "python"
    steps = []
    if not python.exists():
        steps.append([sys.executable, "-m", "venv", str(venv)])
    steps.append([str(python), "-m", "pip", "install", "--quiet", *requirements])
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            reason = lines[-1] if lines else f"exit {result.returncode}"
            raise ReplayError(f"cannot install {' '.join(requirements)} into {venv}: {reason}")


def ensure_wayback(venv: str | os.PathLike[str]) -> Path:
    """pywb's ``wayback``, installing pywb into venv when it is nowhere to be found."""
    wayback = find_wayback(venv)
    if wayback is None:
        install_tools(venv, [PYWB_REQUIREMENT])
        wayback = find_wayback(venv)
    if wayback is None:
        raise ReplayError(f"pywb installed into {venv} but no 'wayback' program there")
    return wayback


def prepare_collection(warc_dir: Path, root: Path, collection: str) -> Path:
    """The pywb root folder with COLL's archive link, indexes and config; returns indexes."""
    coll = root / "collections" / collection
    (coll / "indexes").mkdir(parents=True, exist_ok=True)
    archive = coll / "archive"
    target = warc_dir.resolve()
    if archive.is_symlink() and Path(os.readlink(archive)) != target:
        archive.unlink()
    if not archive.exists():
        archive.symlink_to(target, target_is_directory=True)
    (root / "config.yaml").write_text(_CONFIG, encoding="utf-8")
    sync_indexes(warc_dir, coll / "indexes")
    return coll / "indexes"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ReplayServer:
    """pywb's ``wayback`` serving COLL on host:port, its indexes refreshed every interval."""

    def __init__(
        self,
        warc_dir: str | os.PathLike[str],
        root: str | os.PathLike[str],
        wayback: str | os.PathLike[str],
        *,
        collection: str = COLLECTION,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        interval: float = 2.0,
    ) -> None:
        self.warc_dir = Path(warc_dir)
        self.root = Path(root)
        self.wayback = Path(wayback)
        self.collection = collection
        self.host = host
        self.port = port or free_port(host)
        self.interval = interval
        self.process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}/{self.collection}"

    @property
    def log_path(self) -> Path:
        return self.root / "pywb.log"

    def url(self, when: datetime, url: str, modifier: str = "") -> str:
        """``http://HOST:PORT/COLL/TIMESTAMP[modifier]/URL``; modifier e.g. ``id_``, ``mp_``."""
        return f"{self.base}/{wayback_timestamp(when)}{modifier}/{url}"

    def start(self, timeout: float = 60.0) -> ReplayServer:
        if not self.warc_dir.is_dir():
            raise ReplayError(f"no WARC folder at {self.warc_dir} (crawl something first)")
        self.indexes = prepare_collection(self.warc_dir, self.root, self.collection)
        command = [str(self.wayback), "-b", self.host, "-p", str(self.port), "-d", str(self.root)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.root, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_listening(timeout)
        self._thread = threading.Thread(target=self._refresh, name="replay-index", daemon=True)
        self._thread.start()
        return self

    def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
                self.stop()
                raise ReplayError(f"pywb exited at start: {' '.join(tail) or 'no output'}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ReplayError(f"pywb did not listen on {self.host}:{self.port} within {timeout:.0f} s")

    def _refresh(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                sync_indexes(self.warc_dir, self.indexes)
            except OSError:
                continue  # a WARC renamed or removed mid-scan: next round

    def wait(self) -> int:
        """Block until pywb exits; returns its exit status."""
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        self._stop.set()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
