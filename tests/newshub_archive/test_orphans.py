"""Orphans: WARC records whose rows were lost are found by verify and rebuilt by reextract."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, delete, func, select, update

from crawler.cli import main
from newshub_archive.orphans import restore_orphans
from newshub_archive.verify import verify
from pipelines.db.models import ArticleRow, ArticleVersion, Capture
from pipelines.warc.files import OPEN_SUFFIX
from pipelines.warc.records import RevisitTarget
from pipelines.warc.writer import WarcWriter
from tests.newshub_archive.sample_archive import T0, Page, archive, exchange, page_html

# Shaped like articles by the spider's rules (one <h1>, long paragraphs, a hyphenated slug).
TEXT = "\n".join(f"Paragraph {n} of the story, long enough to count as real prose here." * 2
                 for n in range(6))  # fmt: skip
DAY = timedelta(days=1)
PAGES = [Page(f"story-number-{i}-of-today", f"Story {i}", TEXT, source="alpha") for i in range(4)]


@pytest.fixture
def data(engine: Engine, tmp_path: Path) -> Path:
    archive(engine, tmp_path / "warcs", PAGES)
    return tmp_path


def cli(data: Path, database_url: str, *args: str) -> Result:
    env = {"NEWSHUB_DATA_DIR": str(data), "NEWSHUB_DATABASE_URL": database_url}
    return CliRunner().invoke(main, list(args), env=env)


def lose_rows(engine: Engine, *pages: Page, articles: bool = True) -> None:
    """What a database outage during a crawl leaves: records in the WARC, no rows."""
    urls = [page.url() for page in pages]
    with engine.begin() as connection:
        if articles:
            ids = select(ArticleRow.id).where(ArticleRow.url.in_(urls))
            connection.execute(delete(ArticleVersion).where(ArticleVersion.article_id.in_(ids)))
            connection.execute(delete(ArticleRow).where(ArticleRow.url.in_(urls)))
        connection.execute(delete(Capture).where(Capture.url.in_(urls)))


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (Capture, ArticleRow, ArticleVersion)
        )


def test_verify_finds_orphans_and_reextract_restores_them(
    engine: Engine, database_url: str, data: Path
) -> None:
    before = counts(engine)
    with engine.connect() as connection:
        lost = connection.execute(
            select(Capture.warc_file, Capture.warc_offset, Capture.warc_record_id)
            .where(Capture.url.in_([PAGES[1].url(), PAGES[3].url()]))
            .order_by(Capture.warc_offset)
        ).all()
    lose_rows(engine, PAGES[1], PAGES[3])

    audit = cli(data, database_url, "verify", "--deep")
    assert audit.exit_code == 1
    (problem, summary) = audit.stdout.splitlines()
    assert problem == (
        f"{lost[0].warc_file} @ {lost[0].warc_offset}: 2 records have no capture row "
        "(newshub reextract --orphans restores them)"
    )
    assert summary.endswith("1 problems")

    restored = cli(data, database_url, "reextract", "--orphans")
    assert restored.exit_code == 0, restored.output
    assert restored.stdout == "2 capture rows restored; articles: 2 new, 0 updated, 0 unchanged\n"
    assert counts(engine) == before
    with engine.connect() as connection:
        rows = connection.execute(
            select(Capture.warc_offset, Capture.warc_record_id, Capture.status, Capture.size)
            .where(Capture.url.in_([PAGES[1].url(), PAGES[3].url()]))
            .order_by(Capture.warc_offset)
        ).all()
        titles = connection.execute(
            select(ArticleRow.title, ArticleRow.warc_record_id).where(
                ArticleRow.url == PAGES[3].url()
            )
        ).one()
    assert [(r.warc_offset, r.warc_record_id, r.status) for r in rows] == [
        (row.warc_offset, row.warc_record_id, 200) for row in lost
    ]
    assert all(r.size > 0 for r in rows)
    assert titles == ("Story 3", lost[1].warc_record_id)
    assert cli(data, database_url, "verify", "--deep").exit_code == 0

    again = cli(data, database_url, "reextract", "--orphans")  # idempotent
    assert again.stdout == "0 capture rows restored; articles: 0 new, 0 updated, 0 unchanged\n"
    assert counts(engine) == before


def test_orphans_newer_and_older_than_the_stored_article(engine: Engine, data: Path) -> None:
    """A lost later crawl updates the article (a new version); a lost earlier one keeps it."""
    edited = Page(PAGES[0].slug, "Story 0, updated", TEXT, source="alpha")
    with WarcWriter(data / "warcs", "alpha") as writer:  # records only: the rows were lost
        newer = writer.write_exchange(exchange(edited.url(), page_html(edited), T0 + DAY))
        writer.write_exchange(exchange(PAGES[1].url(), page_html(PAGES[1]), T0 - DAY))
    before = counts(engine)
    assert restore_orphans(engine, data / "warcs") == {"captures": 2, "updated": 1, "kept": 1}
    assert counts(engine) == (before[0] + 2, before[1], before[2] + 1)
    with engine.connect() as connection:
        article = connection.execute(
            select(ArticleRow.title, ArticleRow.warc_record_id, ArticleRow.last_seen).where(
                ArticleRow.url == edited.url()
            )
        ).one()
    assert article == ("Story 0, updated", newer.record_id, T0 + DAY)
    assert verify(engine, data / "warcs").ok


def test_revisit_orphan_takes_the_original_payload(engine: Engine, data: Path) -> None:
    """A revisit has no payload: its row gets the original's size, its article is the same."""
    with engine.connect() as connection:
        original = connection.execute(select(Capture).where(Capture.url == PAGES[2].url())).one()
    target = RevisitTarget(
        original.url, original.fetched_at, original.warc_record_id, original.payload_digest
    )
    with WarcWriter(data / "warcs", "alpha") as writer:
        body = page_html(PAGES[2])
        revisit = writer.write_revisit(exchange(PAGES[2].url(), body, T0 + DAY), target)
    # "updated": the sample stored its article rows as given, not as the extractor reads them.
    assert restore_orphans(engine, data / "warcs") == {"captures": 1, "updated": 1}
    with engine.connect() as connection:
        row = connection.execute(
            select(Capture.record_type, Capture.size, Capture.payload_digest, Capture.status).where(
                Capture.warc_record_id == revisit.record_id
            )
        ).one()
        article = connection.execute(
            select(ArticleRow.title, ArticleRow.warc_record_id, ArticleRow.last_seen).where(
                ArticleRow.url == PAGES[2].url()
            )
        ).one()
    assert tuple(row) == ("revisit", original.size, original.payload_digest, 200)
    assert tuple(article) == ("Story 2", revisit.record_id, T0 + DAY)
    assert verify(engine, data / "warcs", deep=True).ok


def test_files_being_written_and_unowned_files(engine: Engine, data: Path) -> None:
    (path,) = (data / "warcs").glob("alpha-*.warc.gz")
    lose_rows(engine, *PAGES)
    growing = path.with_name(path.name + OPEN_SUFFIX)
    path.rename(growing)  # a crawl still writing it: its rows may not be stored yet
    assert verify(engine, data / "warcs").ok
    growing.rename(data / "warcs" / ("nobody-" + path.name.removeprefix("alpha-")))
    (problem,) = verify(engine, data / "warcs").problems
    assert "4 records have no capture row" in str(problem)
    assert restore_orphans(engine, data / "warcs") == {"unowned": 4}


def test_record_named_by_a_misplaced_row_is_not_restored_twice(engine: Engine, data: Path) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(Capture)
            .where(Capture.url == PAGES[0].url())
            .values(warc_offset=Capture.warc_offset + 1)
        )
    problems = sorted(str(p) for p in verify(engine, data / "warcs").problems)
    assert len(problems) == 2 and "1 record has no capture row" in problems[0]
    assert "no record starts here" in problems[1]
    before = counts(engine)
    assert restore_orphans(engine, data / "warcs")["captures"] == 0
    assert counts(engine) == before
