"""Run `newshub` as its own process: a crawl needs a fresh Twisted reactor every time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def newshub(*args: str, data: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    """`newshub ARGS` with its own data dir and database; output captured as text."""
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(data), "NEWSHUB_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
