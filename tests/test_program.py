"""The `newshub` program ends without tearing the interpreter down, with the CLI's status, its
output flushed and the atexit handlers (logging's) run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.program import exit_status

ROOT = Path(__file__).resolve().parents[1]


def _program(*args: str, code: str | None = None, env: dict[str, str] | None = None):
    command = [sys.executable, "-m", "crawler", *args]
    if code is not None:
        command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (2, 2), (75, 75), ("no", 1)])
def test_exit_status_is_pythons(code: object, status: int) -> None:
    assert exit_status(code) == status


def test_statuses_and_output_are_the_clis() -> None:
    done = _program("--version")
    assert (done.returncode, done.stdout.split()[0]) == (0, "newshub,")
    usage = _program("no-such-command")
    assert usage.returncode == 2
    assert "No such command 'no-such-command'" in usage.stderr


def test_teardown_is_skipped_and_atexit_handlers_still_run(tmp_path: Path) -> None:
    # An object's __del__ runs only in a teardown; an atexit handler registered once the
    # program runs (as the crawl's own are) still runs, before the program's exit.
    code = (
        "import atexit, sys\n"
        "from crawler.program import main\n"
        "class Torn:\n"
        "    def __del__(self): print('torn down', flush=True)\n"
        "kept = Torn()\n"
        "import crawler.cli.base as base\n"
        "base.resolve_paths = lambda original=base.resolve_paths: ("
        "atexit.register(print, 'atexit ran'), original())[1]\n"
        "sys.argv[0] = 'newshub'\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSHUB_")}
    env["NEWSHUB_DATA_DIR"] = str(tmp_path)
    done = _program("runs", code=code, env=env)
    assert done.returncode == 0, done.stderr
    assert "atexit ran" in done.stdout
    assert "torn down" not in done.stdout


def test_a_failing_crawl_exits_1_with_its_log_written(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSHUB_")}
    env["NEWSHUB_DATA_DIR"] = str(tmp_path)
    done = _program("crawl", "--url", "http://127.0.0.1:9/", "--name", "gone", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: cannot reach http://127.0.0.1:9/")
    log = (tmp_path / "logs" / "gone-1.log").read_text()
    assert "cannot reach" in log or "Connection" in log


def test_an_uncaught_exception_is_printed_and_exits_1() -> None:
    code = (
        "import sys\n"
        "sys.modules['crawler.cli'] = None  # importing the CLI fails\n"
        "from crawler.program import main\n"
        "main()\n"
    )
    done = _program("--version", code=code)
    assert done.returncode == 1
    assert "ModuleNotFoundError" in done.stderr
