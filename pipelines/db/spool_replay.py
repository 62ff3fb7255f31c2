"""Replay the spools that crawls left behind when the database was away (pipelines.db.spool).

Called at the start of every crawl, before it writes anything, so rows spooled by a run that
ended during an outage (or was killed) reach the database as soon as it is back.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from pipelines.db.engine import DatabaseError
from pipelines.db.spool import SPOOL_SUFFIX, Spool
from pipelines.db.store import ArchiveStore

logger = logging.getLogger(__name__)


def replay_spools(engine: Engine, directory: Path) -> int:
    """Write every spool no live crawl holds; returns the rows replayed.

    Raises DatabaseError when the database refuses them: nothing is lost, the spool stays.
    """
    replayed = 0
    for path in sorted(directory.glob(f"*{SPOOL_SUFFIX}")):
        source_id, _, run_id = path.name.removesuffix(SPOOL_SUFFIX).partition("-")
        if not (source_id.isdigit() and run_id.isdigit()):
            continue  # not a spool of ours
        spool = Spool.take(path)
        if spool is None:  # a running crawl's own spool
            continue
        try:
            pending = spool.pending
            store = ArchiveStore(engine, int(source_id), int(run_id) or None, spool=spool)
            if not store.replay_spool():
                raise DatabaseError(
                    f"cannot replay {pending} spooled rows from {path}: {store.unavailable}"
                )
            if pending:
                logger.info("replayed %d spooled rows from %s", pending, path)
            replayed += pending
        finally:
            spool.close()
    return replayed
