"""End to end: `newshub crawl` of a generated hub, checked against the generator's truth.

The crawl runs as a real `newshub` process (a Twisted reactor cannot restart in one process)
against a demo hub served by this test process on port 0.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from warcio.archiveiterator import ArchiveIterator

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.extraction.metrics import shingle_f1
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, ArticleVersion, Capture, CrawlRun
from tests.newshub_process import newshub

ARTICLES = 200


class Crawled:
    """One crawled archive: the hub it came from, its data dir and database."""

    def __init__(self, hub: DemoHub, server: DemoServer, data: Path, url: str) -> None:
        self.hub, self.server, self.data, self.url = hub, server, data, url
        self.engine: Engine = make_engine(url)

    def crawl(self) -> subprocess.CompletedProcess[str]:
        result = newshub(
            "crawl", "--url", self.server.url + "/", "--name", "hub",
            "--concurrency", "16", "--delay", "0",
            data=self.data, database_url=self.url,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    def rows(self, table: type) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(table)))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crawled]:
    data = tmp_path_factory.mktemp("archive")
    if request.param == "sqlite":
        url = f"sqlite:///{data / 'newshub.db'}"
    else:
        from tests.conftest import fresh_postgres_database

        url = fresh_postgres_database(request)
    hub = DemoHub(articles=ARTICLES, seed=11)
    with DemoServer(hub) as server:
        archive = Crawled(hub, server, data, url)
        archive.first = archive.crawl()  # type: ignore[attr-defined]
        yield archive
    archive.engine.dispose()


def test_summary_and_run_row(crawled: Crawled) -> None:
    output = crawled.first.stdout  # type: ignore[attr-defined]
    assert f"articles      {ARTICLES} new, 0 updated, 0 unchanged" in output
    runs = crawled.rows(CrawlRun)
    assert runs[0].status == "finished" and runs[0].articles_new == ARTICLES
    assert runs[0].warc_files and runs[0].pages_fetched > ARTICLES


def test_every_article_stored_once_and_matches_truth(crawled: Crawled) -> None:
    rows = {row.url: row for row in crawled.rows(ArticleRow)}
    base = crawled.server.url
    truth = {base + article.path: article for article in crawled.hub.articles}
    assert set(rows) == set(truth), "every article exactly once, under its canonical URL"
    mismatches: Counter[str] = Counter()
    f1s = []
    for url, article in truth.items():
        row = rows[url]
        mismatches["title"] += row.title != article.title
        mismatches["published_at"] += row.published_at != article.published_at
        mismatches["category"] += row.category != article.category
        mismatches["agency"] += row.agency != article.agency
        f1s.append(shingle_f1(row.body or "", article.body))
    assert sum(mismatches.values()) == 0, mismatches
    assert sum(f1s) / len(f1s) >= 0.98 and min(f1s) >= 0.9


def test_no_junk_urls_were_fetched(crawled: Crawled) -> None:
    fetched = [target for _, target, _ in crawled.server.requests]
    for marker in ("share=", "replytocom=", "wp-login.php", "utm_", "wp-admin"):
        assert not [t for t in fetched if marker in t], marker
    assert fetched.count("/robots.txt") == 1, "robots.txt is fetched once per crawl"


def test_every_capture_resolves_to_its_warc_record(crawled: Crawled) -> None:
    captures = crawled.rows(Capture)
    statuses = Counter(c.status for c in captures)
    assert statuses[200] > ARTICLES and statuses[301] >= 1
    assert any(c.url.endswith("/robots.txt") for c in captures)
    warcs = crawled.data / "warcs"
    for capture in captures:
        with open(warcs / capture.warc_file, "rb") as stream:
            stream.seek(capture.warc_offset)
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_headers.get_header("WARC-Record-ID") == capture.warc_record_id
            assert record.rec_headers.get_header("WARC-Target-URI") == capture.url
            assert record.rec_headers.get_header("WARC-Payload-Digest") == capture.payload_digest
    article_records = {row.warc_record_id for row in crawled.rows(ArticleRow)}
    assert None not in article_records
    assert article_records <= {c.warc_record_id for c in captures}


def test_warcio_check_passes(crawled: Crawled) -> None:
    files = sorted((crawled.data / "warcs").glob("*.warc.gz"))
    assert files and not list((crawled.data / "warcs").glob("*.open"))
    warcio = Path(sys.executable).with_name("warcio")
    result = subprocess.run(
        [str(warcio), "check", *map(str, files)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_second_crawl_adds_no_duplicates(crawled: Crawled) -> None:
    second = crawled.crawl()
    assert f"articles      0 new, 0 updated, {ARTICLES} unchanged" in second.stdout
    with crawled.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ArticleRow)).scalar() == ARTICLES
        versions = connection.execute(select(func.count()).select_from(ArticleVersion)).scalar()
    assert versions == ARTICLES


def test_unreachable_site_is_a_one_line_failure(tmp_path: Path) -> None:
    result = newshub(
        "crawl", "--url", "http://127.0.0.1:9/", "--name", "down",
        data=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[-1]] and lines[-1].startswith("Error: cannot reach http://127.0.0.1:9/")


@pytest.mark.slow
def test_reextract_reproduces_the_crawl_then_applies_a_new_rule(crawled: Crawled) -> None:
    """Re-extraction from the archive is idempotent; a new rule changes exactly its rows."""
    from crawler.extraction import SiteRules
    from newshub_archive.reextract import reextract

    before = {row.id: row for row in crawled.rows(ArticleRow)}
    warcs = crawled.data / "warcs"
    assert reextract(crawled.engine, warcs) == Counter(unchanged=ARTICLES)

    # A rule that only matches the JNews-like theme: its subtitle becomes the title.
    rule = SiteRules.from_mapping({"title": "css:h2.jeg_post_subtitle"})
    counts = reextract(crawled.engine, warcs, rules=lambda name: rule)
    jnews = {crawled.server.url + a.path: a for a in crawled.hub.articles if a.theme == "jnews"}
    assert counts == Counter(updated=len(jnews), unchanged=ARTICLES - len(jnews))
    for row in crawled.rows(ArticleRow):
        if row.url in jnews:
            assert row.title == jnews[row.url].lead
        else:
            assert row.title == before[row.id].title
    assert reextract(crawled.engine, warcs, rules=lambda name: rule)["updated"] == 0

    # Back to the generic rules: the original titles return, as a new version each.
    assert reextract(crawled.engine, warcs)["updated"] == len(jnews)
    assert {r.id: r.title for r in crawled.rows(ArticleRow)} == {
        i: r.title for i, r in before.items()
    }


def test_reextract_command(crawled: Crawled) -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    env = {"NEWSHUB_DATA_DIR": str(crawled.data), "NEWSHUB_DATABASE_URL": crawled.url}
    result = CliRunner().invoke(main, ["reextract", "--source", "hub"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"0 articles changed, {ARTICLES} unchanged\n"


@pytest.mark.slow
def test_configured_source_with_an_article_limit(tmp_path: Path) -> None:
    """`newshub crawl NAME` reads the source from the config file and honours its limits."""
    hub = DemoHub(articles=30, seed=5)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with DemoServer(hub) as server:
        config = tmp_path / "newshub.toml"
        config.write_text(
            f'[[source]]\nname = "small"\nhome = "{server.url}/"\n'
            f'feeds = ["{server.url}/feed/"]\nmax_articles = 5\ndelay = 0\n'
        )
        result = newshub("--config", str(config), "crawl", "small", data=tmp_path, database_url=url)
        assert result.returncode == 0, result.stderr
        assert "articles      5 new" in result.stdout
        more = newshub(
            "--config", str(config), "crawl", "small", "--max-articles", "12",
            data=tmp_path, database_url=url,
        )  # fmt: skip
        assert more.returncode == 0, more.stderr
        # The archived five are skipped as unchanged; the limit counts new work only.
        assert "articles      12 new, 0 updated, 5 unchanged" in more.stdout
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(ArticleRow)).scalar()
    finally:
        engine.dispose()
    assert stored == 17


def test_links_are_denied_or_cleaned_through_a_bounded_cache() -> None:
    from crawler.spiders.hub import LINK_CACHE_SIZE, HubSpider

    spider = HubSpider(home="http://hub.test/")
    spider.tracking_params = ["ref"]
    assert spider._link("http://hub.test/a/?utm_source=x&ref=1") == "http://hub.test/a/"
    assert spider._link("http://hub.test/a/?share=twitter") is None
    assert spider._link("mailto:desk@hub.test") is None
    assert spider._link("http://hub.test/a/?utm_source=x&ref=1") == "http://hub.test/a/"
    info = spider._link.cache_info()
    assert (info.hits, info.maxsize) == (1, LINK_CACHE_SIZE)
