"""crawler.spool: tuples out to a temporary file and back, in order; a full disk is an error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from crawler.spool import TupleSpool


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
