"""The CLI in-process: thin commands, one-line errors, non-zero exits, no tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crawler.cli import main
from pipelines.db import schema


@pytest.fixture
def run(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """Invoke `newshub ...` with the data dir and database of this test."""
    env = {
        "NEWSHUB_DATA_DIR": str(tmp_path / "data"),
        "NEWSHUB_DATABASE_URL": database_url,
        "NEWSHUB_CONFIG": str(tmp_path / "newshub.toml"),
    }

    def invoke(*args: str, env_extra: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **(env_extra or {})})

    return invoke


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_db_commands(run) -> None:  # type: ignore[no-untyped-def]
    assert "base" in run("db", "current").output
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0 and str(schema.head_revision()) in upgraded.output
    assert "up to date" in run("db", "current").output
    checked = run("db", "check")
    assert checked.exit_code == 0 and "no drift" in checked.output
    down = run("db", "downgrade", "base")
    assert down.exit_code == 0 and "base" in down.output
    assert "nope" in one_line_error(run("db", "downgrade", "nope"))


def test_unreachable_database_is_one_line(run) -> None:  # type: ignore[no-untyped-def]
    bad = {"NEWSHUB_DATABASE_URL": "postgresql://postgres:hunter2@127.0.0.1:1/none"}
    line = one_line_error(run("db", "current", env_extra=bad))
    assert "cannot connect" in line and "hunter2" not in line and "***" in line
    line = one_line_error(run("export", env_extra={"NEWSHUB_DATABASE_URL": "nonsense://"}))
    assert "database" in line.lower()


def test_sources_and_config_errors(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "config file not found" in one_line_error(run("sources"))
    config = tmp_path / "newshub.toml"
    config.write_text(
        '[[source]]\nname = "hub"\nhome = "http://hub.example/"\nschedule = "0 * * * *"\n'
    )
    listed = run("sources")
    assert listed.exit_code == 0
    header, row = listed.output.splitlines()[:2]
    assert header.split() == ["NAME", "HOME", "SCHEDULE", "DOMAINS"]
    assert re.split(r"\s{2,}", row)[:3] == ["hub", "http://hub.example/", "0 * * * *"]
    assert "no source named 'nope'" in one_line_error(run("crawl", "nope"))
    config.write_text("[[source]\n")
    assert "invalid TOML" in one_line_error(run("sources"))
    assert "invalid TOML" in one_line_error(run("crawl", "hub"))


def test_crawl_usage_errors(run) -> None:  # type: ignore[no-untyped-def]
    result = run("crawl")
    assert result.exit_code == 2 and "either SOURCE... or --url" in result.output
    assert "http(s)" in one_line_error(run("crawl", "--url", "hub.example"))
    newline = run("crawl", "--url", "http://127.0.0.1:9/", "--name", "hub\n")
    assert "--name must be" in one_line_error(newline)


def test_export_empty_archive(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("db", "upgrade").exit_code == 0
    result = run("export")
    assert result.exit_code == 0 and result.output == ""
    out = tmp_path / "a.csv"
    result = run("export", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0
    assert out.read_text().startswith("id,source,url,title")


def test_extract_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "page.html"
    page.write_text(
        "<html lang='en'><head><title>Big news - Hub</title></head><body><article><h1>Big news</h1>"
        + "<p>Paragraph with enough words to count as body text in any extractor.</p>" * 5
        + "</article></body></html>"
    )
    result = run("extract", "--url", "http://hub.example/2024/01/01/big-news/", str(page))
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row["file"] == str(page) and row["title"] == "Big news"
    missing = run("extract", str(tmp_path / "missing.html"))
    assert missing.exit_code == 1 and "missing.html" in missing.output
