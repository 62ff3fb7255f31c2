"""Per-source run locks, so cron, systemd timers and the daemon never crawl one source twice.

PostgreSQL: a session advisory lock on a dedicated connection held for the whole run; the
server drops it when the process dies, however it dies. SQLite: an OS `flock` on a file next
to the database (`<db>.SOURCE.lock`), which the kernel drops the same way. Either way a
killed crawl never leaves a stale lock behind, so no lock ever needs breaking by hand.

A lock can also be taken shared: crawl workers of one source that share a Redis frontier
(NEWSHUB_FRONTIER_URL) hold it shared together, which still keeps a normal, exclusive run of
the source apart from them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text

from crawler.config import SOURCE_NAME, ConfigError

# Lock names of schema creation and of the active scheduler daemon; '~' cannot start a source
# name, so they never clash with one.
SCHEMA = "~schema"
SCHEDULER = "~scheduler"


class RunLock:
    """One named lock; `acquire()` says whether it was free, `release()` gives it back."""

    def __init__(self, engine: Engine, name: str, *, shared: bool = False) -> None:
        self.engine = engine
        self.name = name
        self.shared = shared
        self.held = False
        self._connection: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def key(self) -> int:
        """The 64-bit advisory lock key of this name (stable across processes and hosts)."""
        digest = hashlib.blake2b(f"newshub:{self.name}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    @property
    def path(self) -> Path | None:
        """The lock file of a file-backed SQLite database, else None."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite":
            return None
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(f"{database}.{self.name}.lock")

    def acquire(self, *, wait: bool = False) -> bool:
        """Take the lock; without `wait`, return False at once when another process holds it."""
        if self.held:
            return True
        backend = self.engine.url.get_backend_name()
        if backend == "postgresql":
            self.held = self._acquire_advisory(wait)
        elif self.path is not None:
            self.held = self._acquire_file(self.path, wait)
        else:  # an in-memory database belongs to one process: nothing to exclude
            self.held = True
        return self.held

    def release(self) -> None:
        """Give the lock back (safe to call twice, and after a failed acquire)."""
        self.held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                unlock = "pg_advisory_unlock_shared" if self.shared else "pg_advisory_unlock"
                connection.execute(text(f"SELECT {unlock}(:key)"), {"key": self.key})
            except Exception:  # a broken connection has lost the lock already
                pass
            finally:
                connection.close()
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()  # closing the descriptor drops the flock

    def _acquire_advisory(self, wait: bool) -> bool:
        # AUTOCOMMIT: no transaction stays open ("idle in transaction") for the whole run.
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            mode = "_shared" if self.shared else ""
            if wait:
                connection.execute(text(f"SELECT pg_advisory_lock{mode}(:key)"), {"key": self.key})
                got = True
            else:
                got = bool(
                    connection.execute(
                        text(f"SELECT pg_try_advisory_lock{mode}(:key)"), {"key": self.key}
                    ).scalar()
                )
        except BaseException:
            connection.close()
            raise
        if got:
            self._connection = connection
        else:
            connection.close()
        return got

    def _acquire_file(self, path: Path, wait: bool) -> bool:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        try:
            mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
            fcntl.flock(handle.fileno(), mode | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.close()
            return False
        except BaseException:
            handle.close()
            raise
        if not self.shared:  # shared holders would overwrite each other's pid
            # Who holds it, for an operator looking at the file; the lock itself is the flock.
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
        self._file = handle
        return True

    def __enter__(self) -> RunLock:
        self.acquire(wait=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def source_lock(engine: Engine, source_name: str, *, shared: bool = False) -> RunLock:
    """The lock that keeps two runs of one source apart (different sources don't contend).

    `shared`: frontier workers of the source hold it together, apart from exclusive runs.
    """
    if not SOURCE_NAME.fullmatch(source_name):  # the name becomes a lock file's name
        raise ConfigError(f"not a valid source name: {source_name!r}")
    return RunLock(engine, source_name, shared=shared)


def schema_lock(engine: Engine) -> RunLock:
    """The lock around schema creation, so simultaneous first runs don't race to migrate."""
    return RunLock(engine, SCHEMA)


def scheduler_lock(engine: Engine) -> RunLock:
    """The lock the active scheduler daemon holds (crawler.scheduling.leader).

    PostgreSQL advisory locks are server-wide, so the key names the database: daemons of two
    databases on one server must not stand by for each other.
    """
    if engine.url.get_backend_name() == "postgresql":
        return RunLock(engine, f"{SCHEDULER}:{engine.url.database}")
    return RunLock(engine, SCHEDULER)
