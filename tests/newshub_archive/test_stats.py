"""`stats`: what an operator checks in the morning."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crawler.errors import NewshubError
from newshub_archive.stats import stats
from tests.newshub_archive.sample_archive import T0, Page, archive


@pytest.fixture
def warcs(engine: Engine, tmp_path: Path) -> Path:
    pages = [
        Page("a", "A", "Text a.", category="Economy", agency="IRNA", source="alpha"),
        Page("b", "B", "Text b.", category="Economy", agency="ISNA", source="alpha"),
        Page("c", "C", "Text c.", category="Sport", agency=None, source="alpha"),
        Page("d", "D", "Text d.", category="Sport", agency="IRNA", source="beta"),
    ]
    archive(engine, tmp_path / "warcs", pages)
    archive(engine, tmp_path / "warcs", [pages[3]], fetched_at=T0 + timedelta(days=1))
    return tmp_path / "warcs"


def test_whole_archive(engine: Engine, warcs: Path) -> None:
    report = stats(engine, warc_dir=warcs, now=T0 + timedelta(days=2))
    alpha, beta = report.sources
    assert (alpha.name, alpha.articles, alpha.captures, alpha.warc_files) == ("alpha", 3, 3, 1)
    assert (beta.name, beta.articles, beta.captures, beta.warc_files) == ("beta", 1, 2, 2)
    on_disk = sum(path.stat().st_size for path in warcs.glob("beta-*.warc.gz"))
    assert beta.warc_bytes == on_disk and beta.missing_warc_files == 0
    assert alpha.last_success is not None and alpha.last_success["articles_new"] == 3
    assert alpha.last_run_status == "finished"
    assert report.categories == [("Economy", 2), ("Sport", 2)]
    assert report.agencies == [("IRNA", 2), ("ISNA", 1), (None, 1)]
    assert report.days == [("2026-05-01", 4)]
    assert report.statuses == [(200, 5)]


def test_one_source(engine: Engine, warcs: Path) -> None:
    for path in warcs.glob("beta-*"):
        path.unlink()
        break
    report = stats(engine, "beta", warc_dir=warcs, now=T0 + timedelta(days=2))
    (beta,) = report.sources
    assert beta.missing_warc_files == 1
    assert report.categories == [("Sport", 1)] and report.statuses == [(200, 2)]
    assert stats(engine, "beta", now=T0 + timedelta(days=30)).days == []
    with pytest.raises(NewshubError, match="no source named 'nope'"):
        stats(engine, "nope")
