"""The `newshub` program (`python -m crawler`): the CLI in a process that skips its own teardown.

When a program ends, CPython runs the atexit handlers, then frees every module and object one
by one: 0.9 CPU seconds after a crawl (bench/throughput.py; a quarter of a small crawl's fixed
cost), for memory the kernel takes back at once anyway. `main` registers, before the CLI is
imported, an exit handler that therefore runs last: when non-daemon threads have been joined
and every other atexit handler has run (logging's shutdown too), it flushes the standard
streams and ends the process with the status the CLI exits with. An exception nobody caught
(click turns Ctrl-C into its own exit 1) is printed by the interpreter as usual and the process
exits 1, as Python's own exit would.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys


def exit_status(code: object) -> int:
    """The status Python exits with for `SystemExit(code)` (a message is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def main() -> None:
    status = 1  # until the CLI says otherwise: an uncaught exception's status

    def leave() -> None:
        for stream in (sys.stdout, sys.stderr):
            # Closed, or the reader left: nothing more to say.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)

    atexit.register(leave)  # before the CLI's imports, so it runs after their handlers
    from crawler.cli import main as cli

    try:
        cli(prog_name="newshub")
    except SystemExit as done:
        status = exit_status(done.code)
        raise
    status = 0  # click's standalone mode always exits by SystemExit; a return is success
