"""WACZ packages: the layout ReplayWeb.page reads, checked by py-wacz's own `wacz validate`."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from crawler.cli import main
from newshub_archive.wacz import WaczError, write_wacz
from tests.newshub_archive.sample_archive import Page, archive
from tests.replay_tools import tools_venv

PAGES = [Page(f"story-{n}", f"Story {n}", f"Body of story {n}.") for n in range(5)]
PAGES += [Page("elsewhere", "Elsewhere", "Another hub.", source="other")]


def test_package_layout_hashes_and_pages(engine: Engine, tmp_path: Path) -> None:
    archive(engine, tmp_path / "warcs", PAGES)
    summary = write_wacz(engine, tmp_path / "warcs", tmp_path / "hub.wacz", source="hub")
    assert (summary.warcs, summary.pages) == (1, 5)
    with zipfile.ZipFile(summary.path) as package:
        names = package.namelist()
        assert names[0].startswith("archive/hub-") and names[1:] == [
            "indexes/index.cdx.gz",
            "indexes/index.idx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        ]
        # Replay seeks inside WARCs and index blocks: both must be stored, not deflated.
        assert package.getinfo(names[0]).compress_type == zipfile.ZIP_STORED
        assert package.getinfo("indexes/index.cdx.gz").compress_type == zipfile.ZIP_STORED
        datapackage = json.loads(package.read("datapackage.json"))
        assert datapackage["wacz_version"] == "1.1.1" and datapackage["profile"] == "data-package"
        for resource in datapackage["resources"]:
            data = package.read(resource["path"])
            assert resource["bytes"] == len(data)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["name"] == resource["name"].lower() and "~" not in resource["name"]
        digest = json.loads(package.read("datapackage-digest.json"))
        assert (
            digest["hash"]
            == "sha256:" + hashlib.sha256(package.read("datapackage.json")).hexdigest()
        )
        header, *pages = [json.loads(line) for line in package.read(PAGES_PATH).splitlines()]
        assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
        assert [p["title"] for p in pages] == [f"Story {n}" for n in range(5)]
        assert pages[0]["url"] == "http://hub.test/story-0/"
        assert pages[0]["ts"] == "2026-05-01T12:00:00.000Z"
        # The index blocks hold sorted CDXJ lines naming the packaged WARC.
        idx = package.read("indexes/index.idx").decode().splitlines()
        assert idx[0].startswith("!meta 0 ")
        block = json.loads(idx[1].split(" ", 2)[2])
        blocks = package.read("indexes/index.cdx.gz")
        lines = gzip.decompress(blocks[block["offset"] : block["offset"] + block["length"]])
        cdxj = lines.decode().splitlines()
        assert len(cdxj) == 5 and cdxj == sorted(cdxj) and names[0][8:] in cdxj[0]


PAGES_PATH = "pages/pages.jsonl"


def test_nothing_to_package_is_an_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(WaczError, match="no WARC files of source 'hub'"):
        write_wacz(engine, tmp_path, tmp_path / "x.wacz", source="hub")
    assert not list(tmp_path.iterdir())


def test_wacz_validate_accepts_the_package(engine: Engine, tmp_path: Path) -> None:
    archive(engine, tmp_path / "warcs", PAGES)
    env = {
        "NEWSHUB_DATA_DIR": str(tmp_path),
        "NEWSHUB_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    result = CliRunner().invoke(main, ["wacz", "--output", str(tmp_path / "all.wacz")], env=env)
    assert result.exit_code == 0, result.output
    assert "2 WARC files, 6 pages" in result.output
    wacz = tools_venv() / "bin" / "wacz"
    check = subprocess.run(
        [str(wacz), "validate", "-f", str(tmp_path / "all.wacz")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Validation succeeded" in check.stdout


def test_wacz_command_errors_are_one_line(engine: Engine, tmp_path: Path) -> None:
    env = {
        "NEWSHUB_DATA_DIR": str(tmp_path),
        "NEWSHUB_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    result = CliRunner().invoke(main, ["wacz", "--source", "hub"], env=env)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no WARC files of source 'hub' in {tmp_path / 'warcs'}"
