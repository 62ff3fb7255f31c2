"""The runner's settings and summaries: a time limit on every crawl, caps named, spool placed."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import CrawlerRunner

from crawler.config import Paths, Source
from crawler.run_summary import summarize
from crawler.runner import CrawlOptions, build_settings, collect_stats
from crawler.spiders.hub import HubSpider


def settings_for(source: Source, tmp_path: Path):  # type: ignore[no-untyped-def]
    paths = Paths(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db'}")
    return build_settings(source, paths, CrawlOptions(), source_id=1, run_id=2, run_uuid="u")


def test_every_crawl_has_a_time_limit_and_a_spool(tmp_path: Path) -> None:
    plain = settings_for(Source("hub", "http://hub.test/"), tmp_path)
    assert plain.getint("CLOSESPIDER_TIMEOUT") == 6 * 3600
    assert plain.getint("CLOSESPIDER_PAGECOUNT") == 200_000
    assert plain["DB_SPOOL_DIR"] == str(tmp_path / "spool")
    timed = settings_for(Source("hub", "http://hub.test/", timeout=90.0), tmp_path)
    assert timed.getfloat("CLOSESPIDER_TIMEOUT") == 90.0


def test_a_capped_run_finishes_and_names_its_caps() -> None:
    stats = {
        "finish_reason": "closespider_timeout",
        "downloader/response_count": 12,
        "newshub/caps/query_variants": 3212,
        "newshub/caps/links_per_page": 98999,
    }
    summary = summarize(Source("hub", "http://hub.test/"), 7, stats, None, 1.0)
    assert summary.status == "finished" and summary.error is None
    lines = summary.lines()
    assert "source        hub (run 7, finished: closespider_timeout)" in lines
    assert "caps hit      links_per_page 98,999, query_variants 3,212 (requests not made)" in lines
    failed = summarize(
        Source("hub", "http://hub.test/"), 8, {**stats, "finish_reason": "x"}, None, 1
    )
    assert failed.status == "failed"


def test_discovery_switches_per_source(tmp_path: Path) -> None:
    plain = settings_for(Source("hub", "http://hub.test/"), tmp_path)
    assert plain.getbool("HUB_DISCOVER_REST_API") and plain.getbool("HUB_DISCOVER_SITEMAPS")
    off = Source("hub", "http://hub.test/", discovery={"rest_api": False, "feeds": False})
    settings = settings_for(off, tmp_path)
    assert not settings.getbool("HUB_DISCOVER_REST_API")
    assert not settings.getbool("HUB_DISCOVER_FEEDS")
    assert settings.getbool("HUB_DISCOVER_LISTINGS")


def test_the_summary_names_moves_removals_and_returns() -> None:
    stats = {"finish_reason": "finished", "downloader/response_count": 3}
    quiet = summarize(Source("hub", "http://hub.test/"), 1, stats, None, 1.0).lines()
    assert not any(line.startswith("identity") for line in quiet)
    stats |= {"newshub/articles_moved": 5, "newshub/removals/removed": 1}
    lines = summarize(Source("hub", "http://hub.test/"), 2, stats, None, 1.0).lines()
    assert "identity      5 moved, 1 removed by the site, 0 back" in lines


def test_a_crawl_that_never_started_reports_its_startup_error() -> None:
    """Scrapy raises on reading `crawler.stats` before the crawl starts: the runner must report
    the startup error, not crash on it (a component failing in from_crawler gets here)."""
    crawler = CrawlerRunner({"TELNETCONSOLE_ENABLED": False}).create_crawler(HubSpider)
    stats: dict[str, object] = {}
    spider = collect_stats(crawler, ["ValueError: a component would not load"], stats)
    assert spider is None
    assert stats == {"newshub/startup_error": "ValueError: a component would not load"}
