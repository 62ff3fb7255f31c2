"""`verify`: one flipped byte, a truncated file or a deleted one is reported exactly, once."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from newshub_archive.verify import verify
from pipelines.db.models import ArticleRow, Capture
from pipelines.warc.members import scan
from pipelines.warc.records import gzip_member
from tests.newshub_archive.sample_archive import Page, archive

PAGES = [Page(f"p{i}", f"Story {i}", f"Paragraph {i}. " * 40, source="alpha") for i in range(6)]
PAGES += [Page("b0", "Beta story", "Beta text. " * 40, source="beta")]


@pytest.fixture
def warcs(engine: Engine, tmp_path: Path) -> Path:
    archive(engine, tmp_path / "warcs", PAGES)
    return tmp_path / "warcs"


def alpha_file(warcs: Path) -> Path:
    (path,) = warcs.glob("alpha-*.warc.gz")
    return path


def capture_at(engine: Engine, number: int) -> tuple[int, int]:
    """(offset, length) of the response record of alpha's page `number`."""
    with engine.connect() as connection:
        row = connection.execute(
            select(Capture.warc_offset, Capture.warc_length).where(
                Capture.url == PAGES[number].url()
            )
        ).one()
    return row[0], row[1]


def flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x20
    path.write_bytes(bytes(data))


def test_intact_archive(engine: Engine, warcs: Path) -> None:
    report = verify(engine, warcs, deep=True)
    assert report.ok, [str(p) for p in report.problems]
    assert (report.files, report.captures, report.articles) == (2, 7, 7)
    assert report.records == 2 + 7 * 3  # warcinfo + response, request, metadata per page


def test_flipped_byte_in_a_response_record(engine: Engine, warcs: Path) -> None:
    offset, length = capture_at(engine, 2)
    flip(alpha_file(warcs), offset + length // 2)
    report = verify(engine, warcs)
    (problem,) = report.problems
    assert (problem.file, problem.offset) == (alpha_file(warcs).name, offset)
    assert "corrupt" in problem.message and problem.captures == [PAGES[2].url()]
    assert report.records == 2 + 7 * 3 - 1  # every other record still read


def test_flipped_byte_in_a_request_record(engine: Engine, warcs: Path) -> None:
    offset, length = capture_at(engine, 4)
    members = {m.offset: m for m in scan(alpha_file(warcs))}
    request = members[offset + length]
    assert request.record_type == "request"
    flip(alpha_file(warcs), request.offset + request.length - 12)
    (problem,) = verify(engine, warcs).problems
    assert (problem.offset, problem.captures) == (request.offset, [])


def test_truncated_file(engine: Engine, warcs: Path) -> None:
    offset, length = capture_at(engine, 3)
    path = alpha_file(warcs)
    path.write_bytes(path.read_bytes()[: offset + length // 3])
    (problem,) = verify(engine, warcs).problems
    assert (problem.file, problem.offset) == (path.name, offset)
    assert problem.message.startswith("truncated")
    assert problem.captures == [page.url() for page in PAGES[3:6]]


def test_deleted_file(engine: Engine, warcs: Path) -> None:
    path = alpha_file(warcs)
    path.unlink()
    report = verify(engine, warcs)
    (problem,) = report.problems
    assert problem.file == path.name and "missing WARC file (6 captures" in str(problem)
    assert verify(engine, warcs, source="beta").ok  # one source's audit ignores the others


def test_deep_recomputes_digests(engine: Engine, warcs: Path) -> None:
    """A record changed and re-gzipped passes the CRC check; only its digest tells."""
    path = alpha_file(warcs)
    last = list(scan(path))[-1]
    data = path.read_bytes()
    record = zlib.decompress(data[last.offset :], zlib.MAX_WBITS | 16)
    tampered = record.replace(b"fetchTimeMs: 10", b"fetchTimeMs: 99")
    assert tampered != record
    path.write_bytes(data[: last.offset] + gzip_member(tampered, 6))
    assert verify(engine, warcs).ok
    (problem,) = verify(engine, warcs, deep=True).problems
    assert problem.offset == last.offset and problem.message == "block digest does not match"


def test_article_without_capture(engine: Engine, warcs: Path) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(ArticleRow.__table__)
            .where(ArticleRow.url == PAGES[1].url())
            .values(warc_record_id=None)
        )
    (problem,) = verify(engine, warcs).problems
    assert problem.file is None and "points at no capture" in problem.message
    assert PAGES[1].url() in problem.message
