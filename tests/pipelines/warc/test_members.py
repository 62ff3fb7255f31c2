"""Member reading over damage warcio passes over silently: records bigger than its read block."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.warc.files import OPEN_SUFFIX
from pipelines.warc.members import Member, scan
from pipelines.warc.recover import recover
from pipelines.warc.writer import WarcWriter
from tests.pipelines.warc.test_writer import make_exchange


def big_file(directory: Path) -> tuple[Path, list[Member]]:
    with WarcWriter(directory, "hub") as writer:
        for i in range(3):
            writer.write_exchange(make_exchange(url=f"http://a.test/{i}", body=os.urandom(200_000)))
    path = directory / writer.files[0]
    members = list(scan(path))
    assert len(members) == 10 and not any(m.error for m in members)
    return path, members


@pytest.mark.parametrize("where", ["start", "middle", "end", "crc"])
def test_flipped_byte_in_a_big_record(
    tmp_path: Path, where: str, capfd: pytest.CaptureFixture[str]
) -> None:
    path, members = big_file(tmp_path)
    response = members[4]
    into = {"start": 100, "middle": response.length // 2, "end": -20, "crc": -6}[where]
    position = response.offset + into % response.length
    data = bytearray(path.read_bytes())
    data[position] ^= 0x20
    path.write_bytes(bytes(data))
    found = list(scan(path, deep=True))
    (damaged,) = [m for m in found if m.error]
    assert (damaged.offset, damaged.length) == (response.offset, response.length)
    assert damaged.error.startswith("corrupt gzip data")
    assert [m.offset for m in found if not m.error] == [
        m.offset for m in members if m is not response
    ]
    assert capfd.readouterr().err == ""  # warcio's own zlib messages are not passed on


def test_cut_inside_the_gzip_trailer(tmp_path: Path) -> None:
    """The record's data is whole, only the member's CRC is missing: warcio reads it fine."""
    path, members = big_file(tmp_path)
    last = members[-1]
    path.write_bytes(path.read_bytes()[:-3])
    *whole, damaged = scan(path)
    assert [m.offset for m in whole] == [m.offset for m in members[:-1]]
    assert damaged.offset == last.offset and damaged.error.startswith("truncated")

    open_path = path.with_name(path.name + OPEN_SUFFIX)
    path.rename(open_path)
    (result,) = recover(tmp_path)
    assert (result.records, result.kept_bytes) == (9, last.offset)
