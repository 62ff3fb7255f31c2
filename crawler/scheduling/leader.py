"""One active scheduler per database: a second daemon waits as a standby and takes over.

Leadership is a lock of its own (crawler.locks): a PostgreSQL advisory lock held on its own
connection, or a `flock` beside a SQLite file. The server or the kernel drops it however the
leader dies (even SIGKILL), so a standby polling for it takes over within one poll interval.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from crawler.locks import RunLock, scheduler_lock

logger = logging.getLogger(__name__)


def wait_for_leadership(engine: Engine, poll: float, stopped: threading.Event) -> RunLock | None:
    """The scheduler lock once this daemon holds it; None if `stopped` is set first."""
    lock = scheduler_lock(engine)
    if lock.acquire():
        return lock
    logger.info("another scheduler daemon is active on this database: standing by")
    while not stopped.wait(poll):
        if lock.acquire():
            logger.info("the active scheduler daemon is gone: taking over")
            return lock
    return None
