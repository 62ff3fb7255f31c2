"""Rows the database could not take, kept on disk until it can: crash-safe JSON lines.

One file per run, ``<data>/spool/SOURCE_ID-RUN_ID.jsonl``. Rows are appended and fsync-ed
before the writer moves on, so a crash or a kill loses none of them. The writing process holds
an exclusive ``flock`` on its file; a replayer (the next crawl's start) takes the same lock, so
it never replays a live writer's spool. Replay goes through the store's upserts, which are
idempotent: a replay cut short by a crash is simply done again.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from crawler.extraction.article import Article
from crawler.items import ArticleItem

SPOOL_SUFFIX = ".jsonl"
_ARTICLE_DATES = ("published_at", "modified_at")


def spool_path(directory: str | Path, source_id: int, run_id: int | None) -> Path:
    return Path(directory) / f"{source_id}-{run_id or 0}{SPOOL_SUFFIX}"


def encode(kind: str, row: Any) -> str:
    """One queued row (a capture dict or an ArticleItem) as one JSON line."""
    if kind == "capture":
        data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
    else:
        data = {
            "source": row.source,
            "fetched_at": row.fetched_at.isoformat(),
            "warc_record_id": row.warc_record_id,
            "article": row.article.to_json(),
            "post_id": row.post_id,
            "editions": row.editions,
            "redirected_from": row.redirected_from,
        }
    return json.dumps({"kind": kind, "row": data}, ensure_ascii=False) + "\n"


def decode(line: str) -> tuple[str, Any]:
    """The (kind, row) that `encode` wrote."""
    entry = json.loads(line)
    kind, data = entry["kind"], entry["row"]
    if kind == "capture":
        if data.get("fetched_at"):
            data["fetched_at"] = datetime.fromisoformat(data["fetched_at"])
        return kind, data
    fields = {f.name for f in dataclasses.fields(Article)}
    values = {k: v for k, v in data["article"].items() if k in fields}
    for name in _ARTICLE_DATES:
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    item = ArticleItem(
        source=data["source"],
        article=Article(**values),
        fetched_at=datetime.fromisoformat(data["fetched_at"]),
        warc_record_id=data["warc_record_id"],
        # Absent from spool files written before article identity (migration 0006).
        post_id=data.get("post_id"),
        editions=data.get("editions") or {},
        redirected_from=data.get("redirected_from") or [],
    )
    return kind, item


class Spool:
    """The spool file of one run, locked by this process while it may append to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending = 0  # rows in the file not yet replayed
        self._file: IO[str] | None = None

    @classmethod
    def take(cls, path: Path) -> Spool | None:
        """The spool at path, locked for this process; None when a live process holds it."""
        spool = cls(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        spool._file = handle
        handle.seek(0)
        spool.pending = sum(1 for line in handle if line.endswith("\n"))
        return spool

    def append(self, batch: list[tuple[str, Any]]) -> None:
        """Add rows durably: they are on disk (fsync) when this returns."""
        assert self._file is not None, "spool is closed"
        self._file.write("".join(encode(kind, row) for kind, row in batch))
        self._file.flush()
        os.fsync(self._file.fileno())
        self.pending += len(batch)

    def rows(self) -> Iterator[tuple[str, Any]]:
        """The spooled rows in the order they were queued (a torn last line is skipped)."""
        assert self._file is not None, "spool is closed"
        self._file.seek(0)
        for line in self._file:
            if line.endswith("\n"):
                yield decode(line)

    def clear(self) -> None:
        """Forget the rows: the database has all of them now."""
        assert self._file is not None, "spool is closed"
        self._file.truncate(0)
        os.fsync(self._file.fileno())
        self.pending = 0

    def close(self) -> None:
        """Unlock; an empty spool file is removed, a non-empty one waits for a replay."""
        handle, self._file = self._file, None
        if handle is None:
            return
        if self.pending == 0:
            self.path.unlink(missing_ok=True)
        handle.close()
