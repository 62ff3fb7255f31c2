"""`newshub stats --format prometheus`: valid exposition text, per source."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from crawler.cli import main
from crawler.config import Source
from pipelines.db.runs import ensure_source, finish_run, start_run
from tests.newshub_archive.sample_archive import Page, archive

PAGES = [Page("one", "One", "Text one."), Page("two", "Two", "Text two."),
         Page("three", "Three", "Text three.", source="other")]  # fmt: skip


def test_prometheus_text_parses_and_counts_per_source(engine: Engine, tmp_path: Path) -> None:
    archive(engine, tmp_path / "data" / "warcs", PAGES)
    hub = ensure_source(engine, Source("hub", "http://hub.test/"))
    run, _ = start_run(engine, hub)
    finish_run(engine, run, status="failed", counts={"pages": 3, "bytes": 100}, error="x")
    env = {
        "NEWSHUB_DATA_DIR": str(tmp_path / "data"),
        "NEWSHUB_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    result = CliRunner().invoke(main, ["stats", "--format", "prometheus"], env=env)
    assert result.exit_code == 0, result.output
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(result.output)
        for sample in family.samples
    }

    def value(name: str, source: str, **labels: str) -> float:
        return samples[(name, tuple(sorted({"source": source, **labels}.items())))]

    assert value("newshub_runs_total", "hub", status="finished") == 1
    assert value("newshub_runs_total", "hub", status="failed") == 1
    assert value("newshub_run_failures_total", "hub") == 1
    assert value("newshub_run_failures_total", "other") == 0
    assert value("newshub_pages_fetched_total", "hub") == 3
    assert value("newshub_articles", "hub") == 2 and value("newshub_articles", "other") == 1
    assert value("newshub_captures", "other") == 1
    assert value("newshub_articles_removed", "hub") == 0
    warc_bytes = sum(p.stat().st_size for p in (tmp_path / "data" / "warcs").glob("hub-*"))
    assert value("newshub_warc_bytes", "hub") == warc_bytes > 0
    assert value("newshub_last_success_timestamp_seconds", "hub") > 1.7e9
    assert "# TYPE newshub_runs_total counter" in result.output
    only = CliRunner().invoke(main, ["stats", "--format", "prometheus", "-s", "other"], env=env)
    assert 'source="hub"' not in only.output and 'source="other"' in only.output
