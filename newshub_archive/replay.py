"""Replay of the archive in pywb (``wayback``), with a collection kept in step with the WARCs.

pywb 2.10 pins old libraries (redis 2, werkzeug, pyOpenSSL < 26.2) and ships ``brotlipy``,
which clobbers the ``brotli`` module Scrapy uses; it cannot share newshub's environment. It
lives in its own venv (``$NEWSHUB_PYWB_VENV``, default ``<data>/.pywb-venv``), created with
pip on first use. The collection is ``<data>/replay/collections/COLL``: ``archive`` links to
the WARC folder, and pywb's own auto-indexer (``wayback --autoindex``) keeps
``indexes/autoindex.cdxj`` in step with it, so a WARC closed by a running crawl (renamed from
``.open``) becomes replayable within ``AUTOINDEX_INTERVAL`` seconds. Every path is absolute:
pywb runs in ``<data>/replay``.
"""

from __future__ import annotations

import collections
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from crawler.errors import NewshubError
from newshub_archive.replay_urls import COLLECTION, wayback_timestamp
from pipelines.warc.files import WARC_SUFFIX

PYWB_REQUIREMENT = "pywb==2.10.0"
INSTALL_TIME = "usually 1-2 minutes"
DEFAULT_PORT = 8080
# Seconds between two scans of the WARC folder by pywb's auto-indexer.
AUTOINDEX_INTERVAL = 5
AUTOINDEX_FILE = "autoindex.cdxj"
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
    from sqlalchemy import select  # the models cost a second: `replay` fails fast without them

    from pipelines.db.models import ArticleRow, Capture

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


def install_tools(
    venv: str | os.PathLike[str],
    requirements: list[str],
    on_line: Callable[[str], None] | None = None,
) -> None:
    """Create venv (if needed) and pip-install requirements into it; blocking, 1-2 minutes.

    `on_line` sees each line pip prints (a progress display); the last one explains a failure.
    """
    venv = Path(venv).absolute()
    python = venv / "bin" / "python"
    steps = []
    if not python.exists():
        steps.append([sys.executable, "-m", "venv", str(venv)])
    steps.append([str(python), "-m", "pip", "install", "--progress-bar", "off", *requirements])
    for step in steps:
        tail: collections.deque[str] = collections.deque(maxlen=1)
        with subprocess.Popen(
            step, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if line.strip():
                    tail.append(line.strip())
                    if on_line is not None:
                        on_line(line.strip())
        if process.returncode != 0:
            reason = tail[0] if tail else f"exit {process.returncode}"
            raise ReplayError(f"cannot install {' '.join(requirements)} into {venv}: {reason}")


def ensure_wayback(
    venv: str | os.PathLike[str], on_line: Callable[[str], None] | None = None
) -> Path:
    """pywb's ``wayback``, installing pywb into venv when it is nowhere to be found."""
    wayback = find_wayback(venv)
    if wayback is None:
        install_tools(venv, [PYWB_REQUIREMENT], on_line)
        wayback = find_wayback(venv)
    if wayback is None:
        raise ReplayError(f"pywb installed into {venv} but no 'wayback' program there")
    return wayback


def prepare_collection(warc_dir: Path, root: Path, collection: str) -> Path:
    """The pywb root folder with COLL's archive link and config; returns its indexes folder.

    Indexes are derived data: they are dropped here and pywb's auto-indexer rebuilds them from
    the WARC files, so a WARC that was removed or replaced leaves no stale entry behind.
    """
    coll = root / "collections" / collection
    (coll / "indexes").mkdir(parents=True, exist_ok=True)
    for index in (coll / "indexes").glob("*.cdxj"):
        index.unlink()
    archive = coll / "archive"
    target = warc_dir.resolve()
    if archive.is_symlink() and Path(os.readlink(archive)) != target:
        archive.unlink()
    if not archive.exists():
        archive.symlink_to(target, target_is_directory=True)
    (root / "config.yaml").write_text(_CONFIG, encoding="utf-8")
    return coll / "indexes"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ReplayServer:
    """pywb's ``wayback`` serving COLL on host:port, its auto-indexer following the WARCs."""

    def __init__(
        self,
        warc_dir: str | os.PathLike[str],
        root: str | os.PathLike[str],
        wayback: str | os.PathLike[str],
        *,
        collection: str = COLLECTION,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        interval: float = AUTOINDEX_INTERVAL,
    ) -> None:
        self.warc_dir = Path(warc_dir).absolute()
        self.root = Path(root).absolute()
        self.wayback = Path(wayback).absolute()
        self.collection = collection
        self.host = host
        self.port = port or free_port(host)
        self.interval = interval
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}/{self.collection}"

    @property
    def log_path(self) -> Path:
        return self.root / "pywb.log"

    @property
    def index_path(self) -> Path:
        return self.root / "collections" / self.collection / "indexes" / AUTOINDEX_FILE

    def url(self, when: datetime, url: str, modifier: str = "") -> str:
        """``http://HOST:PORT/COLL/TIMESTAMP[modifier]/URL``; modifier e.g. ``id_``, ``mp_``."""
        return f"{self.base}/{wayback_timestamp(when)}{modifier}/{url}"

    def start(self, timeout: float = 120.0) -> ReplayServer:
        """Start pywb; returns once it listens and has indexed the WARCs, else ReplayError."""
        if not self.warc_dir.is_dir():
            raise ReplayError(f"no WARC folder at {self.warc_dir} (crawl something first)")
        self._check_port_free()
        self.root.mkdir(parents=True, exist_ok=True)
        prepare_collection(self.warc_dir, self.root, self.collection)
        command = [
            str(self.wayback), "-b", self.host, "-p", str(self.port), "-d", str(self.root),
            "--autoindex", "--auto-interval", str(self.interval),
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.root, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready(timeout)
        return self

    def _check_port_free(self) -> None:
        with socket.socket() as probe:
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise ReplayError(
                    f"cannot serve on {self.host}:{self.port}: {exc.strerror or exc} "
                    "(another server has the port? choose one with --port)"
                ) from None

    def _wait_ready(self, timeout: float) -> None:
        """Until pywb listens and its first index is written (when there are WARCs at all)."""
        deadline = time.monotonic() + timeout
        indexed = not any(self.warc_dir.glob("*" + WARC_SUFFIX))
        while time.monotonic() < deadline:
            self.check_running("at start")
            indexed = indexed or self.index_path.exists()
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    if indexed:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ReplayError(
            f"pywb did not serve {self.host}:{self.port} within {timeout:.0f} s "
            f"(log: {self.log_path})"
        )

    def check_running(self, when: str = "") -> None:
        """ReplayError with the last line of pywb's log if pywb has exited."""
        assert self.process is not None
        code = self.process.poll()
        if code is not None:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
            self.stop()
            where = f" {when}" if when else ""
            raise ReplayError(
                f"pywb exited{where} (status {code}): {' '.join(tail) or 'no output'} "
                f"(log: {self.log_path})"
            )

    def wait(self) -> int:
        """Block until pywb exits; returns its exit status."""
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
