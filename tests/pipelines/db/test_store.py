"""The batching store: idempotent upserts, versions only on change, safe with two writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from crawler.config import Source
from crawler.extraction.article import Article
from crawler.items import ArticleItem
from pipelines.db.models import ArticleRow, ArticleVersion, Capture
from pipelines.db.runs import ensure_source, finish_run, start_run
from pipelines.db.store import ArchiveStore

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SOURCE = Source(name="hub", home="http://hub.test/")


def capture(record: str, url: str = "http://hub.test/a/") -> dict:
    return {
        "url": url,
        "status": 200,
        "content_type": "text/html",
        "fetched_at": T0,
        "size": 10,
        "payload_digest": "sha1:AAAA",
        "record_type": "response",
        "warc_file": "hub-1.warc.gz",
        "warc_offset": 0,
        "warc_length": 10,
        "warc_record_id": record,
    }


def item(
    body: str, record: str | None = None, when: datetime = T0, url: str = "http://hub.test/a/"
):
    article = Article(
        url=url, title="Title", body=body, published_at=T0, tags=["x"], extractor_version="t/1"
    )
    return ArticleItem(source="hub", article=article, fetched_at=when, warc_record_id=record)


def write(engine: Engine, source_id: int, *entries: tuple[str, object]) -> ArchiveStore:
    store = ArchiveStore(engine, source_id, batch_size=3, flush_interval=0.05)
    store.start()
    for kind, row in entries:
        if kind == "capture":
            store.add_capture(row)  # type: ignore[arg-type]
        else:
            store.add_article(row)  # type: ignore[arg-type]
    store.close()
    assert store.errors == []
    return store


def count(engine: Engine, table: type) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_new_unchanged_updated(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    first = write(
        engine, source_id, ("capture", capture("<urn:1>")), ("article", item("one", "<urn:1>"))
    )
    assert first.counts["new"] == 1 and first.counts["captures"] == 1

    later = T0 + timedelta(days=1)
    second = write(
        engine,
        source_id,
        ("capture", capture("<urn:2>")),
        ("article", item("one", "<urn:2>", later)),
    )
    assert second.counts["unchanged"] == 1
    with engine.connect() as connection:
        row = connection.execute(select(ArticleRow)).one()
    assert row.last_seen == later and row.first_seen == T0
    assert row.warc_record_id == "<urn:1>"  # unchanged content keeps its original capture

    third = write(
        engine,
        source_id,
        ("capture", capture("<urn:3>")),
        ("article", item("two", "<urn:3>", later)),
    )
    assert third.counts["updated"] == 1
    assert count(engine, ArticleRow) == 1
    assert count(engine, ArticleVersion) == 2
    with engine.connect() as connection:
        row = connection.execute(select(ArticleRow)).one()
        versions = connection.execute(select(ArticleVersion).order_by(ArticleVersion.id)).all()
    assert row.body == "two" and row.warc_record_id == "<urn:3>"
    assert [v.fields["body"] for v in versions] == ["one", "two"]
    assert row.published_at == T0 and row.published_at.tzinfo is not None


def test_replayed_captures_are_ignored(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    write(engine, source_id, ("capture", capture("<urn:1>")), ("capture", capture("<urn:1>")))
    assert count(engine, Capture) == 1


def test_two_writers_store_one_article_and_one_version(engine: Engine) -> None:
    """Two crawler processes racing on the same article must not duplicate it."""
    source_id = ensure_source(engine, SOURCE)
    write(engine, source_id, ("capture", capture("<urn:0>")))
    errors: list[BaseException] = []

    def crawl_like(body: str) -> None:
        try:
            write(engine, source_id, *(("article", item(body, "<urn:0>")) for _ in range(5)))
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=crawl_like, args=("same",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(engine, ArticleRow) == 1
    assert count(engine, ArticleVersion) == 1


def test_run_rows(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    assert ensure_source(engine, SOURCE) == source_id
    run_id, run_uuid = start_run(engine, source_id, trigger="cron")
    finish_run(
        engine,
        run_id,
        status="finished",
        counts={"pages": 3, "new": 2},
        warc_files=["a.warc.gz"],
        stats={"start_time": T0, "odd": object()},
    )
    from pipelines.db.models import CrawlRun

    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun)).one()
    assert (run.status, run.trigger, run.pages_fetched, run.articles_new) == (
        "finished",
        "cron",
        3,
        2,
    )
    assert run.run_uuid == run_uuid and run.warc_files == ["a.warc.gz"]
    assert run.stats["start_time"] == T0.isoformat()
