"""CDXJ indexes: sorted bytewise, one line per replayable record, pointing at exact offsets."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import main
from newshub_archive.cdxj import warc_files, write_index, write_index_file
from tests.newshub_archive.sample_archive import Page, archive

PAGES = [Page(f"story-{n:02d}", f"Story {n}", f"Body {n}\nMore text {n}.") for n in range(12)]
PAGES += [Page("z-other", "Other", "Other hub's story.", source="other-hub")]


def parse(line: str) -> tuple[str, str, dict]:
    key, timestamp, block = line.split(" ", 2)
    return key, timestamp, json.loads(block)


def test_index_is_sorted_and_every_line_resolves(engine: Engine, tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    records = archive(engine, warcs, PAGES, max_size=3000)  # several files per source
    files = warc_files(warcs)
    assert len(files) > 2
    target = tmp_path / "index.cdxj"
    count = write_index_file(files, target)
    raw = target.read_bytes()
    lines = raw.decode().splitlines()
    assert count == len(lines) == len(PAGES)  # responses only: requests and metadata are not
    assert [line.encode() for line in lines] == sorted(line.encode() for line in lines)
    for line in lines:
        key, timestamp, block = parse(line)
        assert key.startswith("test,") and len(timestamp) == 14
        assert block["mime"] == "text/html" and block["status"] == "200"
        with open(warcs / block["filename"], "rb") as stream:
            stream.seek(int(block["offset"]))
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_headers.get_header("WARC-Record-ID") == records[block["url"]]
            assert stream.tell() - int(block["offset"]) >= int(block["length"]) - 4
    assert not list(tmp_path.glob(".index.cdxj.*"))  # no temporary file left behind


def test_files_by_source_never_open_ones(engine: Engine, tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    archive(engine, warcs, PAGES)
    (warcs / "hub-20260101000000000-00000-host~1.warc.gz.open").write_bytes(b"")
    (warcs / "hubx-20260101000000000-00000-host~1.warc.gz").write_bytes(b"")
    assert {p.name.split("-2026")[0] for p in warc_files(warcs)} == {"hub", "hubx", "other-hub"}
    assert [p.name[:4] for p in warc_files(warcs, "hub")] == ["hub-"]
    assert len(warc_files(warcs, "other-hub")) == 1
    assert warc_files(tmp_path / "missing") == []


def test_empty_input_writes_an_empty_index(tmp_path: Path) -> None:
    assert write_index_file([], tmp_path / "empty.cdxj") == 0
    assert (tmp_path / "empty.cdxj").read_text() == ""


def test_index_command(engine: Engine, tmp_path: Path) -> None:
    archive(engine, tmp_path / "warcs", PAGES)
    env = {
        "NEWSHUB_DATA_DIR": str(tmp_path),
        "NEWSHUB_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    runner = CliRunner()
    result = runner.invoke(main, ["index"], env=env)
    assert result.exit_code == 0, result.output
    assert "13 index lines from 2 WARC files" in result.output
    assert len((tmp_path / "index.cdxj").read_text().splitlines()) == 13
    result = runner.invoke(main, ["index", "--source", "other-hub", "-o", "-"], env=env)
    assert result.exit_code == 0 and len(result.output.splitlines()) == 1
    result = runner.invoke(main, ["index", "--source", "nobody"], env=env)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: no WARC files of source 'nobody' in {tmp_path / 'warcs'}"
    ]


def test_write_index_to_a_stream(engine: Engine, tmp_path: Path) -> None:
    import io

    archive(engine, tmp_path / "warcs", PAGES[:2])
    out = io.StringIO()
    assert write_index(warc_files(tmp_path / "warcs"), out) == 2
    assert out.getvalue().count("\n") == 2
