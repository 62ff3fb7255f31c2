"""Issue 14's list, one test each: a command does what it says or exits non-zero with one line
that says what to do next, and a read-only command creates nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crawler.cli import main
from pipelines.db import schema
from pipelines.db.engine import make_engine
from tests.newshub_archive.sample_archive import T0, Page, archive

PAGES = [
    Page("one", "Oil deal signed", "Ministers signed the accord on oil.\nA parade.", T0,
         source="alpha"),
    Page("two", "War and peace", "The war ended without oil.", T0, source="alpha"),
    Page("three", "War report", "The war went on.", T0, source="beta"),
]  # fmt: skip
CONFIG = '[[source]]\nname = "alpha"\nhome = "http://alpha.test/"\n'


class Newshub:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.data = tmp_path / "data"
        self.config = tmp_path / "newshub.toml"
        self.config.write_text(CONFIG)
        self.env = {
            "NEWSHUB_DATA_DIR": str(self.data),
            "NEWSHUB_DATABASE_URL": database_url,
            "NEWSHUB_CONFIG": str(self.config),
        }

    def __call__(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**self.env, **env})


@pytest.fixture
def newshub(tmp_path: Path, database_url: str) -> Newshub:
    """PAGES archived in two sources, one of them configured, and `newshub` on them."""
    engine = make_engine(database_url)
    schema.upgrade(engine)
    archive(engine, tmp_path / "data" / "warcs", PAGES)
    archive(
        engine,
        tmp_path / "data" / "warcs",
        [Page("one", "Oil deal signed", "Ministers signed.", T0, source="alpha")],
        fetched_at=T0 + timedelta(days=1),
    )
    engine.dispose()
    return Newshub(tmp_path, database_url)


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "unexpected" not in lines[0]
    return lines[0]


def test_an_unknown_source_is_an_error_that_lists_the_known_ones(newshub: Newshub) -> None:
    known = "no source named 'gama'; configured: alpha, beta"
    for command in (
        ("verify",),
        ("export",),
        ("export", "--warc", str(newshub.data / "x.warc.gz")),
        ("search", "war"),
        ("runs",),
        ("reextract",),
        ("stats",),
        ("health",),
    ):
        assert known in one_line_error(newshub(*command, "--source", "gama")), command
    assert not (newshub.data / "x.warc.gz").exists()


@pytest.mark.parametrize("empty", ["missing", "unmigrated"])
def test_an_empty_database_says_to_upgrade_and_creates_nothing(tmp_path: Path, empty: str) -> None:
    folder = tmp_path / "nonexistent" / "dir"
    if empty == "unmigrated":
        folder.mkdir(parents=True)
        make_engine(f"sqlite:///{folder / 'x.db'}").connect().close()
    newshub = Newshub(tmp_path, f"sqlite:///{folder / 'x.db'}")
    for command in (("search", "oil"), ("stats",), ("export",), ("show", "1"), ("verify",)):
        assert "run 'newshub db upgrade' first" in one_line_error(newshub(*command)), command
    listed = newshub("runs")
    assert listed.exit_code == 0 and "no runs recorded" in listed.output
    assert newshub("schedule", "list").exit_code == 0
    assert folder.exists() == (empty == "unmigrated")
    assert not newshub.data.exists()


def test_export_into_a_missing_folder_creates_it(newshub: Newshub, tmp_path: Path) -> None:
    target = tmp_path / "out" / "deeper" / "alpha.jsonl"
    result = newshub("export", "--source", "alpha", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert len(target.read_text().splitlines()) == 2
    subset = tmp_path / "subsets" / "beta.warc.gz"
    assert newshub("export", "--source", "beta", "--warc", str(subset)).exit_code == 0
    assert subset.stat().st_size > 0


def test_warc_recover_of_a_missing_folder_fails(newshub: Newshub, tmp_path: Path) -> None:
    result = newshub("warc", "recover", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "no WARC folder at" in one_line_error(result)


def test_search_reads_dash_words_as_exclusions(newshub: Newshub) -> None:
    alone = newshub("search", "-oil")
    assert "only excludes words, so it matches nothing" in one_line_error(alone)
    assert alone.exit_code == 1
    assert "only excludes" in one_line_error(newshub("search", "--", "-oil"))
    hits = json.loads(newshub("search", "war", "-oil", "--format", "json").stdout)
    assert [hit["title"] for hit in hits] == ["War report"]
    # An option keeps working between the words.
    hits = json.loads(newshub("search", "war", "-n", "1", "-oil", "--format", "json").stdout)
    assert len(hits) == 1


def test_search_table_has_a_header_and_an_n_of_m_count(newshub: Newshub) -> None:
    result = newshub("search", "war", "--limit", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "PUBLISHED", "SOURCE", "TITLE", "/", "SNIPPET"]
    assert lines[-1] == "1 of 2 articles"
    assert "[war]" in result.stdout.lower()  # the match is marked in the snippet


def test_show_numbers_versions_and_finds_urls_with_tracking_parameters(newshub: Newshub) -> None:
    result = newshub("show", "http://alpha.test/one/?utm_source=x&fbclid=y", "--versions", "--diff")
    assert result.exit_code == 0, result.output
    versions = result.stdout.split("versions (2)")[1].splitlines()
    assert versions[1].split()[0] == "VERSION"
    assert [line.split()[0] for line in versions[2:4]] == ["1", "2"]
    assert "--- version 1 (" in result.stdout and "+++ version 2 (" in result.stdout
    data = json.loads(
        newshub("show", "http://alpha.test/one/", "--versions", "--format", "json").stdout
    )
    assert [v["version"] for v in data["versions"]] == [1, 2]


def test_sources_has_a_header_and_json(newshub: Newshub) -> None:
    listed = newshub("sources")
    assert listed.stdout.splitlines()[0].split() == ["NAME", "HOME", "SCHEDULE", "DOMAINS"]
    assert re.split(r"\s{2,}", listed.stdout.splitlines()[1])[:2] == ["alpha", "http://alpha.test/"]
    (source,) = json.loads(newshub("sources", "--format", "json").stdout)
    assert source["name"] == "alpha" and source["domains"] == ["alpha.test"]


def test_stats_leaves_out_failed_adhoc_sources_without_articles(
    newshub: Newshub, database_url: str
) -> None:
    from crawler.config import Source
    from pipelines.db.runs import ensure_source, finish_run, start_run

    engine = make_engine(database_url)
    failed = ensure_source(engine, Source("typo.example", "http://typo.example/"))
    run, _ = start_run(engine, failed)
    finish_run(engine, run, status="failed", counts={}, error="cannot reach")
    engine.dispose()
    table = newshub("stats").stdout
    names = [line.split()[0] for line in table.split("\n\n")[0].splitlines()[1:]]
    assert names[:3] == ["alpha", "beta", "(1"] and "typo.example" not in table
    data = json.loads(newshub("stats", "--format", "json").stdout)
    assert "typo.example" in [s["name"] for s in data["sources"]]
