"""Batched, durable writes of captures and articles, off the crawl's reactor thread."""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from crawler.items import ArticleItem
from pipelines.db.article_batch import write_article_batch
from pipelines.db.rows import RowWriter
from pipelines.db.spool import Spool

logger = logging.getLogger(__name__)

_STOP = object()


class ArchiveStore(RowWriter):
    """Queues rows from the crawl and writes them in batches on one worker thread.

    Durability: a batch the database refuses for a moment is retried with backoff; one it keeps
    refusing goes to the run's spool (pipelines.db.spool) and so does every later row, in order,
    until a replay succeeds (tried every `replay_interval` seconds and at close). The crawl
    never waits: the WARC files and the spool hold everything while the database is away.
    """

    def __init__(
        self,
        engine: Engine,
        source_id: int,
        run_id: int | None = None,
        *,
        batch_size: int = 100,
        flush_interval: float = 2.0,
        spool: Spool | None = None,
        retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0),
        replay_interval: float = 5.0,
        close_wait: float = 30.0,
    ) -> None:
        super().__init__(source_id, run_id)
        self.engine = engine
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.spool = spool
        self.retry_delays = retry_delays
        self.replay_interval = replay_interval
        self.close_wait = close_wait
        self.errors: list[str] = []
        self.unavailable: str | None = None  # why the database was last unreachable
        self._next_replay = 0.0
        # Rows wait in a deque the reactor thread appends to (atomic under the GIL) and the
        # writer wakes only when a batch is full or its flush interval passed: a wake-up per row
        # (queue.SimpleQueue) handed the GIL to this thread for every capture, and the reactor
        # waited to get it back (bench/throughput.py).
        self._pending: collections.deque[Any] = collections.deque()
        self._full = threading.Event()
        self._thread = threading.Thread(target=self._work, name="newshub-db-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add_capture(self, capture: dict[str, Any]) -> None:
        """Queue one capture row; returns at once."""
        self._add(("capture", capture))

    def add_article(self, item: ArticleItem) -> None:
        """Queue one extracted article; returns at once."""
        self._add(("article", item))

    def _add(self, entry: tuple[str, Any]) -> None:
        self._pending.append(entry)
        if len(self._pending) >= self.batch_size and not self._full.is_set():
            self._full.set()

    def close(self) -> None:
        """Write what is queued and stop the worker (blocks: call it from a thread)."""
        if self._thread.is_alive():
            self._pending.append(_STOP)
            self._full.set()
            self._thread.join()

    def _work(self) -> None:
        while True:
            self._full.wait(self.flush_interval)
            self._full.clear()
            batch: list[tuple[str, Any]] = []
            while self._pending:
                entry = self._pending.popleft()
                if entry is _STOP:
                    if batch:
                        self._flush(batch)
                    self._drain_spool()
                    return
                batch.append(entry)
                if len(batch) >= self.batch_size:
                    self._flush(batch)
                    batch = []
            if batch:
                self._flush(batch)
            elif self.spool is not None and self.spool.pending:
                self._replay_when_due()

    def _flush(self, batch: list[tuple[str, Any]]) -> None:
        if self.spool is not None and self.spool.pending:
            self._spool(batch)  # behind the spooled rows, so captures still precede articles
            self._replay_when_due()
        elif not self.write(batch, self.retry_delays):
            if self.spool is None:  # nowhere to keep them: the WARC files still hold the data
                self.errors.append(f"database unavailable: {self.unavailable}")
            else:
                self._spool(batch)

    def _spool(self, batch: list[tuple[str, Any]]) -> None:
        assert self.spool is not None
        if not self.spool.pending:
            logger.warning(
                "database unavailable (%s): rows go to %s until it is back",
                self.unavailable,
                self.spool.path,
            )
        try:
            self.spool.append(batch)
        except OSError as exc:  # disk full too: the WARC files are all that is left
            logger.error("cannot spool %d rows to %s: %s", len(batch), self.spool.path, exc)
            self.errors.append(f"database unavailable and spool failed: {exc}")
            return
        self.counts["spooled"] += len(batch)

    def _replay_when_due(self) -> None:
        if time.monotonic() >= self._next_replay:
            self.replay_spool()
            self._next_replay = time.monotonic() + self.replay_interval

    def _drain_spool(self) -> None:
        """At close: keep replaying until the spool is empty or `close_wait` has passed."""
        give_up = time.monotonic() + self.close_wait
        delay = self.retry_delays[0] if self.retry_delays else 0.5
        while self.spool is not None and self.spool.pending and not self.replay_spool():
            if time.monotonic() + delay > give_up:
                logger.error(
                    "database still unavailable (%s): %d rows stay in %s for the next start",
                    self.unavailable,
                    self.spool.pending,
                    self.spool.path,
                )
                return
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def replay_spool(self) -> bool:
        """Write the spooled rows, in order; True when the spool is empty afterwards."""
        if self.spool is None or not self.spool.pending:
            return True
        pending = self.spool.pending
        chunk: list[tuple[str, Any]] = []
        for entry in self.spool.rows():
            chunk.append(entry)
            if len(chunk) >= self.batch_size:
                if not self.write(chunk, ()):
                    return False
                chunk = []
        if chunk and not self.write(chunk, ()):
            return False
        self.spool.clear()
        self.counts["replayed"] += pending
        logger.info("database is back: %d spooled rows written", pending)
        return True

    def write(self, batch: list[tuple[str, Any]], retry_delays: tuple[float, ...]) -> bool:
        """Write a batch, retrying while the database is unreachable; False if it stayed so.

        Captures are committed before the articles that reference them, in their own
        transaction, so an article that fails never takes its capture down with it.
        """
        for delay in (*retry_delays, None):
            try:
                self._write_captures([row for kind, row in batch if kind == "capture"])
                self._write_articles([row for kind, row in batch if kind == "article"])
                self.unavailable = None
                return True
            except SQLAlchemyError as exc:
                if not is_unavailable(exc):  # a bad capture row: the WARC record still has it
                    logger.error("database write of %d rows failed: %s", len(batch), one_line(exc))
                    self.errors.append(one_line(exc))
                    return True
                self.unavailable = one_line(exc)
                if delay is None:
                    return False
                logger.warning(
                    "database unavailable (%s); retry in %.1f s", self.unavailable, delay
                )
                time.sleep(delay)
        return False

    def _write_captures(self, captures: list[dict[str, Any]]) -> None:
        if captures:
            with self.engine.begin() as connection:
                self.write_captures(connection, captures)
            self.counts["captures"] += len(captures)

    def _write_articles(self, items: list[ArticleItem]) -> None:
        if not items:
            return
        try:
            with self.engine.begin() as connection:
                outcomes = write_article_batch(self, connection, items)
        except SQLAlchemyError as exc:
            if is_unavailable(exc):
                raise
            if len(items) > 1:  # one bad row must not keep the others out
                for item in items:
                    self._write_articles([item])
                return
            logger.error("cannot store article %s: %s", items[0].article.url, one_line(exc))
            self.errors.append(one_line(exc))
            return
        self.counts.update(outcomes)


def is_unavailable(exc: SQLAlchemyError) -> bool:
    """Whether an error means the database is away (worth a retry), not that a row is bad."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
