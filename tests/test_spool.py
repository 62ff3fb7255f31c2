"""crawler.spool: tuples out to a temporary file and back, in order; a full disk is an error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from crawler.spool import ChunkFile, TupleSpool


def test_tuples_come_back_in_order_from_the_file_and_memory() -> None:
    spool = TupleSpool(chunk=3)
    entries = [(f"http://hub.test/{i}/", f'"etag-{i}"', None) for i in range(10)]
    for entry in entries[:7]:
        spool.append(entry)
    assert len(spool) == 7
    assert list(spool) == entries[:7]
    for entry in entries[7:]:  # appending goes on after a reading
        spool.append(entry)
    assert list(spool) == entries and list(spool) == entries
    spool.close()
    assert len(spool) == 0 and list(spool) == []


def test_the_file_is_unlinked_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spool = TupleSpool(chunk=2)
    for i in range(5):
        spool.append((i,))
    assert list(tmp_path.iterdir()) == []  # a killed crawl leaves nothing behind
    assert list(spool) == [(i,) for i in range(5)]
    spool.close()


def test_a_full_disk_reaches_append(full_temp_dir: Path) -> None:
    spool = TupleSpool(chunk=1)
    with pytest.raises(OSError):
        for i in range(10_000):
            spool.append(("x" * 1000, i))
    spool.close()


def test_chunk_file_gives_lists_back_in_order_and_empties_itself() -> None:
    chunks = ChunkFile()
    first, second = chunks.store([("a", 1), ("b", 2)]), chunks.store([("c", None)])
    assert first is not None and second is not None
    assert chunks.load(first) == [("a", 1), ("b", 2)]
    third = chunks.store([("d", b"x")])  # stored after a load: appended
    assert third is not None
    assert chunks.load(second) == [("c", None)] and chunks.load(third) == [("d", b"x")]
    assert chunks._file is not None and chunks._file.seek(0, 2) == 0  # all read: emptied
    assert chunks.store([lambda: None]) is None  # cannot be pickled: the caller keeps it
    chunks.close()


def test_chunk_file_on_a_full_disk_raises_and_keeps_what_it_holds(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk))
    chunks, handles = ChunkFile(), []
    with pytest.raises(OSError):
        for n in range(100_000):
            handle = chunks.store([("x" * 1000, n)] * 100)
            assert handle is not None
            handles.append(handle)
    assert len(handles) > 10  # 8 MB of lists before the disk was full
    for n, handle in enumerate(handles):
        assert chunks.load(handle) == [("x" * 1000, n)] * 100  # whole, none torn
    chunks.close()
