"""An append-only list of tuples kept in a temporary file, so a crawl's per-URL records (the
validators of every page it fetched, written back at its end) do not grow its heap; and
`ChunkFile`, the lists of waiting requests a long scheduler queue keeps out of memory.

Ours rather than a library's: all it needs is append, length and one pass of reading back in
order; `shelve` and `diskcache` are key-value stores with an index a crawl would pay for. Not
pipelines.db.spool either: that one keeps rows across crashes (fsync-ed JSON lines under the
data folder) while the database is away; this one lives and dies with the crawl.
"""

from __future__ import annotations

import contextlib
import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any

# Tuples held in memory before they go to the file, as one pickled chunk.
CHUNK = 1000


class TupleSpool:
    """`append` tuples, iterate them back in order (any number of times), `close` to delete.

    The file is created on the first full chunk and is unlinked from the start (tempfile's
    TemporaryFile), so a killed crawl leaves nothing behind. An OSError from writing (a full
    disk) reaches the caller of `append`.
    """

    def __init__(self, chunk: int | None = None) -> None:
        self.chunk = chunk or CHUNK
        self._pending: list[tuple[Any, ...]] = []
        self._file: IO[bytes] | None = None
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def append(self, entry: tuple[Any, ...]) -> None:
        self._pending.append(entry)
        self._length += 1
        if len(self._pending) >= self.chunk:
            self._flush()

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self._file is not None:
            self._file.seek(0)
            while True:
                try:
                    chunk = pickle.load(self._file)
                except EOFError:
                    break
                yield from chunk
            self._file.seek(0, 2)  # appending goes on at the end
        yield from list(self._pending)

    def close(self) -> None:
        self._pending = []
        self._length = 0
        file, self._file = self._file, None
        if file is not None:
            # A full disk: the unlinked file's unwritten bytes are of no use to anyone.
            with contextlib.suppress(OSError):
                file.close()

    def _flush(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="newshub-spool-")  # noqa: SIM115 (closed by close)
        pending, self._pending = self._pending, []
        pickle.dump(pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.flush()  # a full disk is told now, to this chunk's append


class ChunkFile:
    """Lists of picklable entries stored in a temporary file and read back, each once, in the
    order they were stored: the middle of a long FIFO queue (crawler.compact_queue).

    `store` returns a handle, or None when an entry cannot be pickled (the caller keeps the
    list); an OSError from writing (a full disk) reaches the caller with the file as it was.
    `load` returns the list a handle stands for. Once every stored list has been loaded the
    file is emptied, so it is only as large as what waits in it.
    """

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._stored = 0  # lists stored and not loaded yet

    def store(self, entries: list[Any]) -> tuple[int, int] | None:
        try:
            data = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return None
        if self._file is None:
            # Unbuffered: a write that fails leaves nothing behind to be flushed later.
            self._file = tempfile.TemporaryFile(prefix="newshub-queue-", buffering=0)  # noqa: SIM115 (closed by close)
        offset = self._file.seek(0, 2)
        written = 0
        try:
            while written < len(data):
                written += self._file.write(memoryview(data)[written:]) or 0
        except OSError:
            self._file.truncate(offset)
            raise
        self._stored += 1
        return offset, len(data)

    def load(self, handle: tuple[int, int]) -> list[Any]:
        assert self._file is not None  # a handle comes from store
        offset, size = handle
        self._file.seek(offset)
        entries: list[Any] = pickle.loads(self._file.read(size))
        self._stored -= 1
        if not self._stored:
            self._file.seek(0)
            self._file.truncate()
        return entries

    def close(self) -> None:
        file, self._file = self._file, None
        self._stored = 0
        if file is not None:
            with contextlib.suppress(OSError):  # a full disk: nothing left worth writing
                file.close()
