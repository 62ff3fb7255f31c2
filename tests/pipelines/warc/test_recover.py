"""Recovery of WARC files a dead writer left as ``.open``, and writes that fail half-way."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipelines.warc.files
from pipelines.warc.files import OPEN_SUFFIX
from pipelines.warc.recover import iter_records, recover
from pipelines.warc.writer import WarcWriter
from tests.pipelines.warc.test_writer import WARCIO, make_exchange


def abandoned_file(directory: Path, exchanges: int = 3) -> tuple[Path, list[tuple[int, int]]]:
    """A finished file put back as ``.open``: the bytes a writer killed after its last write
    leaves. Returns the open path and (offset, length) of every record."""
    with WarcWriter(directory, "hub") as writer:
        for i in range(exchanges):
            writer.write_exchange(make_exchange(url=f"http://a.test/{i}"))
    path = directory / writer.files[0]
    members = [(r.offset, r.length) for r in iter_records(path)]
    open_path = path.with_name(path.name + OPEN_SUFFIX)
    path.rename(open_path)
    return open_path, members


def warcio_check(path: Path) -> None:
    check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("cut", [0.02, 0.2, 0.5, 0.77, 0.999])
def test_torn_last_member_is_cut_off(tmp_path: Path, cut: float) -> None:
    open_path, members = abandoned_file(tmp_path)
    size = open_path.stat().st_size
    at = int(size * cut)
    with open(open_path, "r+b") as stream:
        stream.truncate(at)
    whole = [m for m in members if m[0] + m[1] <= at]

    (result,) = recover(tmp_path)

    closed = Path(str(open_path).removesuffix(OPEN_SUFFIX))
    assert not open_path.exists()
    if not whole:  # not even the warcinfo survived: nothing worth keeping
        assert (result.action, result.path) == ("removed", str(closed))
        assert not closed.exists()
        return
    assert (result.action, result.path, result.records) == ("recovered", str(closed), len(whole))
    assert result.kept_bytes == whole[-1][0] + whole[-1][1] == closed.stat().st_size
    assert result.dropped_bytes == at - result.kept_bytes
    assert [(r.offset, r.length) for r in iter_records(closed)] == whole
    warcio_check(closed)


def test_garbage_after_the_last_record_is_dropped(tmp_path: Path) -> None:
    open_path, members = abandoned_file(tmp_path)
    with open(open_path, "ab") as stream:
        stream.write(b"\0" * 4096)  # what a filesystem may leave after a power cut
    (result,) = recover(tmp_path)
    assert (result.action, result.records, result.dropped_bytes) == (
        "recovered",
        len(members),
        4096,
    )
    warcio_check(Path(result.path))


def test_complete_open_file_is_only_renamed(tmp_path: Path) -> None:
    open_path, members = abandoned_file(tmp_path)
    size = open_path.stat().st_size
    (result,) = recover(tmp_path)
    assert (result.action, result.records, result.kept_bytes, result.dropped_bytes) == (
        "recovered",
        len(members),
        size,
        0,
    )
    assert recover(tmp_path) == []  # nothing left to do


def test_live_writer_is_left_alone(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, "hub")
    writer.write_exchange(make_exchange())
    open_path = tmp_path / (writer.files[0] + OPEN_SUFFIX)
    size = open_path.stat().st_size

    (result,) = recover(tmp_path)

    assert (result.action, result.path) == ("locked", str(open_path))
    assert open_path.stat().st_size == size
    writer.write_exchange(make_exchange())  # the writer carries on undisturbed
    writer.close()
    assert len(list(iter_records(tmp_path / writer.files[0]))) == 7


def test_taken_closed_name_is_a_conflict(tmp_path: Path) -> None:
    open_path, _ = abandoned_file(tmp_path)
    closed = Path(str(open_path).removesuffix(OPEN_SUFFIX))
    closed.write_bytes(b"someone else's")
    (result,) = recover(tmp_path)
    assert result.action == "conflict"
    assert open_path.exists() and closed.read_bytes() == b"someone else's"


# Child writer: ten exchanges, then either keeps writing or stalls inside a write, half done.
_CHILD = """
import os, sys, time
import pipelines.warc.files
from pipelines.warc.writer import WarcWriter
from tests.pipelines.warc.test_writer import make_exchange

writer = WarcWriter(sys.argv[1], "hub")
body = os.urandom(200_000)  # big and incompressible: compress + write take the time
for i in range(1_000_000):
    if i == 10:
        print("ready", flush=True)
        if sys.argv[2] == "mid-write":
            real_write = os.write
            def stall(fd, data):
                real_write(fd, data[: len(data) // 2])
                time.sleep(60)
            pipelines.warc.files.os.write = stall
    writer.write_exchange(make_exchange(url=f"http://a.test/{i}", body=body))
"""


@pytest.mark.parametrize("when", ["running", "mid-write"])
def test_sigkilled_writer_process(tmp_path: Path, when: str) -> None:
    """A real writer process killed with SIGKILL leaves a file recovery can close."""
    root = Path(__file__).resolve().parents[3]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path), when],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        time.sleep(0.05)
        (live,) = recover(tmp_path)
        assert live.action == "locked"  # the child holds the lock while alive
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    (result,) = recover(tmp_path)

    assert result.action == "recovered"
    if when == "mid-write":
        assert result.dropped_bytes > 50_000  # the first half of the torn exchange
    records = list(iter_records(result.path))
    assert all(r.digests_ok for r in records)
    assert records[0].record_type == "warcinfo"
    responses = [r for r in records if r.record_type == "response"]
    assert len(responses) >= 10
    urls = [r.headers.get_header("WARC-Target-URI") for r in responses]
    assert urls == [f"http://a.test/{i}" for i in range(len(urls))]
    warcio_check(Path(result.path))


def test_failed_write_leaves_only_whole_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disk full half-way through a record: the error surfaces, the file stays valid."""
    writer = WarcWriter(tmp_path, "hub")
    writer.write_exchange(make_exchange())
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipelines.warc.files.os, "write", half_then_full)
    with pytest.raises(OSError, match="No space"):
        writer.write_exchange(make_exchange(url="http://a.test/lost"))
    monkeypatch.undo()
    writer.write_exchange(make_exchange(url="http://a.test/after"))
    writer.close()

    records = list(iter_records(tmp_path / writer.files[0]))
    urls = [r.headers.get_header("WARC-Target-URI") for r in records[1:]]
    assert "http://a.test/lost" not in urls and urls[-1] == "http://a.test/after"
    warcio_check(tmp_path / writer.files[0])


def test_empty_open_file_is_removed(tmp_path: Path) -> None:
    (tmp_path / ("hub-x.warc.gz" + OPEN_SUFFIX)).write_bytes(b"")
    (result,) = recover(tmp_path)
    assert result.action == "removed"
    assert os.listdir(tmp_path) == []
