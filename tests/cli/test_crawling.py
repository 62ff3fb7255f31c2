"""`newshub demo` serving a WordPress-like hub: REST API on, older articles only in sitemaps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from crawler.cli.base import main
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow


def test_demo_with_a_rest_api_and_sitemap_only_archives(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSHUB_")}
    env["NEWSHUB_DATA_DIR"] = str(tmp_path)
    args = ["demo", "--articles", "30", "--port", "0", "--rest-api", "plain", "--sitemap-only"]
    result = subprocess.run(
        [sys.executable, "-m", "crawler", *args],  # the program, as `newshub` runs it
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "articles      30 new" in result.stdout, result.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'newshub.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(func.count()).where(ArticleRow.source_modified.is_not(None))
            ).scalar()
    finally:
        engine.dispose()
    assert rows == 30  # every article has the REST API's modified_gmt recorded


def test_demo_rejects_an_unknown_rest_api_mode() -> None:
    result = CliRunner().invoke(main, ["demo", "--rest-api", "json"])
    assert result.exit_code == 2 and "'json' is not one of" in result.output


def test_crawl_takes_several_sources_or_one_url(tmp_path: Path) -> None:
    config = tmp_path / "newshub.toml"
    config.write_text(
        '[[source]]\nname = "a"\nhome = "http://a.test/"\n'
        '[[source]]\nname = "b"\nhome = "http://b.test/"\n'
    )
    runner = CliRunner()
    both = runner.invoke(main, ["-c", str(config), "crawl", "a", "--url", "http://c.test/"])
    assert both.exit_code == 2 and "give either SOURCE... or --url" in both.output
    unknown = runner.invoke(main, ["-c", str(config), "crawl", "a", "x"])
    assert unknown.exit_code == 1
    assert "no source named 'x'; configured: a, b" in unknown.output
    job = runner.invoke(main, ["-c", str(config), "crawl", "a", "b", "--job", "3"])
    assert job.exit_code == 2 and "--job names one crawl" in job.output
    bad = runner.invoke(main, ["-c", str(config), "crawl", "a", "b", "--job-of", "a=x"])
    assert bad.exit_code == 2 and "--job-of wants NAME=JOB_ID:TRIGGER, not 'a=x'" in bad.output
