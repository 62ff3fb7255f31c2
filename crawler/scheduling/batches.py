"""Group due crawls into batches: up to `crawls_per_process` sources in one crawl process.

Several sources in one process share one Twisted reactor (crawler.batch): measured in
docs/scaling.md section 4, a sixth of the memory and less than half the CPU of a process per
source. A batch stays small so that one hung or crashing crawl takes at most its batch with it.

The daemon and the worker hand every due crawl to a Batcher from a thread of their own, which
blocks until the crawl has run: a source's line from the batch process (it prints one as each
source's run is recorded) releases it while the others crawl on. The first crawl of a batch
leads it: it waits up to `window` seconds for the rest of the wave (or until the batch is
full), then for a free process slot (`processes`, the host's max_concurrent_crawls, now
counting processes); crawls arriving meanwhile join its batch, so a backlog leaves in full
batches, the most overdue first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import Any

EX_TEMPFAIL = 75
# `newshub crawl A B C` prints one line per source: NAME  STATUS  what happened.
OUTCOME_CODES = {"finished": 0, "skipped": EX_TEMPFAIL, "failed": 1}


@dataclasses.dataclass
class Batch:
    """Crawls that will run in one process; each member's (code, last line) once it ran."""

    members: dict[str, Any] = dataclasses.field(default_factory=dict)
    closed: bool = False
    full: threading.Event = dataclasses.field(default_factory=threading.Event)
    ended: dict[str, threading.Event] = dataclasses.field(default_factory=dict)
    results: dict[str, tuple[int | None, str]] = dataclasses.field(default_factory=dict)

    def report(self, name: str, result: tuple[int | None, str]) -> None:
        """A member's outcome: its caller returns now, while the others may crawl on."""
        if name in self.ended and not self.ended[name].is_set():
            self.results[name] = result
            self.ended[name].set()


Result = tuple[int | None, str]
# Runs a batch's members (name -> what the caller passed) in one process, telling each
# member's result to `report` as soon as it is known; returns the results it did not report.
RunBatch = Callable[[dict[str, Any], Callable[[str, Result], None]], dict[str, Result]]


class Batcher:
    """Forms batches of at most `per_process` crawls and runs at most `processes` at once."""

    def __init__(self, per_process: int, processes: int, window: float, run: RunBatch) -> None:
        self.per_process = max(1, per_process)
        self.window = window if self.per_process > 1 else 0.0
        self.run = run
        self._slots = threading.Semaphore(max(1, processes))
        self._lock = threading.Lock()
        self._forming: Batch | None = None
        self._pending: set[str] = set()  # waiting for their batch to start, or running
        self._stopping = threading.Event()

    def submit(self, name: str, payload: Any) -> tuple[int | None, str] | None:
        """Run `name` in a batch; its (exit code, last line), or None if it did not run
        (the batcher is stopping, or the same name is already waiting or running)."""
        with self._lock:
            if self._stopping.is_set() or name in self._pending:
                return None
            self._pending.add(name)
            batch = self._forming
            leader = batch is None
            if batch is None:
                batch = self._forming = Batch()
            batch.members[name] = payload
            batch.ended[name] = threading.Event()
            if len(batch.members) >= self.per_process:
                self._close(batch)
        try:
            if leader:
                self._lead(batch)
            else:
                batch.ended[name].wait()
            return batch.results.get(name)
        finally:
            with self._lock:
                self._pending.discard(name)

    def stop(self) -> None:
        """Start no more batches; the forming one ends without running."""
        self._stopping.set()
        with self._lock:
            batch = self._forming
            if batch is not None:
                batch.full.set()

    def _close(self, batch: Batch) -> None:
        batch.closed = True
        batch.full.set()
        if self._forming is batch:
            self._forming = None

    def _lead(self, batch: Batch) -> None:
        try:
            batch.full.wait(self.window)  # the rest of the wave joins meanwhile
            while not self._slots.acquire(timeout=0.2):  # and while waiting for a slot
                if self._stopping.is_set():
                    return
            try:
                with self._lock:
                    self._close(batch)
                if not self._stopping.is_set():
                    left = self.run(dict(batch.members), batch.report)
                    for name, result in left.items():
                        batch.report(name, result)
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._close(batch)
            for event in batch.ended.values():  # not run: the batcher is stopping
                event.set()


def outcome_line(line: str, names: list[str]) -> tuple[str, Result] | None:
    """A source's line of `newshub crawl A B C`, as (name, (exit code, what happened))."""
    match = re.match(r"(\S+)  (finished|skipped|failed)  (.*)", line.rstrip("\n"))
    if match and match[1] in names:
        return match[1], (OUTCOME_CODES[match[2]], match[3])
    return None


def outcomes(output: str, names: list[str], code: int | None) -> dict[str, Result]:
    """Each source's exit code and line from a crawl process's output and exit status.

    One source: the process's own status and last line. Several: each source's line of
    `newshub crawl A B C`; a source without one (the process crashed or was killed) gets the
    process's status and last line.
    """
    last = next((line for line in reversed(output.splitlines()) if line.strip()), "")
    if len(names) == 1:
        return {names[0]: (code, last)}
    found = dict(filter(None, (outcome_line(line, names) for line in output.splitlines())))
    return {name: found.get(name, (code, last)) for name in names}


def follow(
    child: subprocess.Popen[str],
    names: list[str],
    report: Callable[[str, Result], None],
    timeout: float | None,
    stop: Callable[[], None],
) -> tuple[str, bool]:
    """Read a crawl process's output to its end, reporting each source's line as it comes;
    past `timeout` seconds `stop()` ends it. Its whole output, and whether it ran over."""
    over = threading.Event()
    timer = None
    if timeout is not None:

        def ran_over() -> None:
            over.set()
            stop()

        timer = threading.Timer(timeout, ran_over)
        timer.daemon = True
        timer.start()
    lines = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line)
            if len(names) > 1 and (found := outcome_line(line, names)):
                report(*found)
        child.wait()
    finally:
        if timer is not None:
            timer.cancel()
    return "".join(lines), over.is_set()


def end(child: subprocess.Popen[str], grace: float) -> None:
    """SIGTERM a crawl process, SIGKILL it after the grace period."""
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
