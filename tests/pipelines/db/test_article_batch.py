"""Batched article writes give the rows, ids, events and counts of writing one at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, func, select, text

from crawler.config import Source
from crawler.extraction.article import Article
from crawler.items import ArticleItem
from pipelines.db import article_batch, schema
from pipelines.db.article_batch import write_article_batch
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleEvent, ArticleRow, ArticleVersion, Capture
from pipelines.db.rows import RowWriter
from pipelines.db.runs import ensure_source
from pipelines.db.store import ArchiveStore

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
SOURCE = Source(name="hub", home="http://hub.test/")
TABLES = ("article_events", "article_versions", "articles", "captures")


def item(
    path: str,
    body: str = "text",
    *,
    post_id: str | None = None,
    when: datetime = T1,
    record: str | None = None,
    **extra: Any,
) -> ArticleItem:
    url = f"http://hub.test/{path}/"
    article = Article(url=url, title="T", body=body, published_at=T0, extractor_version="t/1")
    return ArticleItem(
        source="hub",
        article=article,
        fetched_at=when,
        warc_record_id=record,
        post_id=post_id,
        **extra,
    )


def archived_before() -> list[ArticleItem]:
    """What an earlier crawl archived."""
    english = item("en/e", post_id="50", when=T0)
    english.article.language = "en"
    return [
        item("a", when=T0, record="<urn:a>"),
        item("b", when=T0),
        item("c-old", post_id="30", when=T0),
        item("d-old", when=T0),
        english,
    ]


def mixed_batch() -> list[ArticleItem]:
    """A batch with every case, plain new articles in several runs between the others."""
    editions = {"fa": "http://hub.test/n1/", "en": "http://hub.test/en/n1/"}
    persian = item("fa/e", post_id="50")
    persian.article.language = "fa"
    english = item("en/e2", post_id="51")
    english.article.language = "en"
    return [
        item("n1", post_id="101", editions=editions, record="<urn:n1>"),
        item("n2", record="<urn:n2>"),
        item("a", record="<urn:a2>"),  # archived, unchanged
        item("n3", post_id="103"),
        item("b", "edited"),  # archived, updated
        item("c-new", post_id="30"),  # moved by post id
        item("d-new", redirected_from=["http://hub.test/d-old/"]),  # moved by redirect
        item("n4"),
        item("n5"),
        item("dup", "first"),  # the same URL twice in one batch
        item("dup", "second"),
        item("p1", post_id="200"),  # the same post id twice in one batch
        item("p2", post_id="200"),
        item("r1", redirected_from=["http://hub.test/later/"]),  # redirected from a later one
        item("later"),
        item("early"),
        item("r2", redirected_from=["http://hub.test/early/"]),  # moves the earlier new one
        persian,  # another language's post with the same id: not a move
        english,
        item("n6", post_id="106", redirected_from=["http://hub.test/nowhere/"]),
        item("n7", editions={"en": "http://hub.test/n7/"}),
    ]


def reset(engine: Engine, source_id: int) -> None:
    """Empty the tables and restart their ids, then archive what the earlier crawl did."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))
        else:
            for table in TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
        records = ["<urn:a>", "<urn:a2>", "<urn:n1>", "<urn:n2>"]
        RowWriter(source_id).write_captures(connection, [capture(r) for r in records])
        for earlier in archived_before():
            RowWriter(source_id).write_article(connection, earlier)


def capture(record: str) -> dict[str, Any]:
    return {
        "url": "http://hub.test/",
        "status": 200,
        "content_type": "text/html",
        "fetched_at": T0,
        "size": 1,
        "payload_digest": "sha1:A",
        "record_type": "response",
        "warc_file": "hub-1.warc.gz",
        "warc_offset": 0,
        "warc_length": 1,
        "warc_record_id": record,
    }


def snapshot(engine: Engine, *, ids: bool = True) -> dict[str, list[Any]]:
    """Every article, version and event; without `ids`, keyed by URL instead of row id."""
    with engine.connect() as connection:
        articles = connection.execute(select(ArticleRow).order_by(ArticleRow.id)).all()
        urls = {row.id: row.url for row in articles}
        versions = connection.execute(select(ArticleVersion).order_by(ArticleVersion.id)).all()
        events = connection.execute(select(ArticleEvent).order_by(ArticleEvent.id)).all()
    if ids:
        return {"articles": articles, "versions": versions, "events": events}
    return {
        "articles": sorted(tuple(row)[1:] for row in articles),
        "versions": sorted((urls[v.article_id], *tuple(v)[2:]) for v in versions),
        "events": sorted((urls[e.article_id], *tuple(e)[2:]) for e in events),
    }


def one_by_one(engine: Engine, source_id: int, items: list[ArticleItem]) -> tuple[list, Any]:
    writer = RowWriter(source_id)
    with engine.begin() as connection:
        outcomes = [writer.write_article(connection, entry) for entry in items]
    return outcomes, writer.counts


def batched(engine: Engine, source_id: int, items: list[ArticleItem]) -> tuple[list, Any]:
    writer = RowWriter(source_id)
    with engine.begin() as connection:
        outcomes = write_article_batch(writer, connection, items)
    return outcomes, writer.counts


@pytest.mark.parametrize("chunk", [article_batch.MAX_ITEMS, 4])
def test_a_mixed_batch_writes_what_one_at_a_time_writes(
    engine: Engine, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(article_batch, "MAX_ITEMS", chunk)  # 4: a key's two items in two chunks
    source_id = ensure_source(engine, SOURCE)
    reset(engine, source_id)
    expected = one_by_one(engine, source_id, mixed_batch())
    rows = snapshot(engine)
    reset(engine, source_id)
    assert batched(engine, source_id, mixed_batch()) == expected
    assert snapshot(engine) == rows
    outcomes, counts = expected  # the batch has every case
    assert set(outcomes) == {"new", "updated", "unchanged"} and counts["moved"] == 4
    assert [e.detail for e in rows["events"]] == ["post id", "redirect", "post id", "redirect"]
    assert len(rows["articles"]) == 19


def test_plain_new_articles_cost_a_few_statements_of_a_few_shapes(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        batch = [item(f"n{i}", post_id=str(i)) for i in range(article_batch.PAGE)]
        assert batched(engine, source_id, batch)[0] == ["new"] * article_batch.PAGE
        assert len(statements) == 3  # SELECT, INSERT articles, INSERT versions
        for size in range(1, article_batch.PAGE * 2 + 1):
            batched(engine, source_id, [item(f"s{size}-{i}") for i in range(size)])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    inserts = {sql for sql in statements if sql.startswith("INSERT INTO articles ")}
    # Not one statement per row count: the database driver keeps them prepared.
    assert len(inserts) == article_batch.PAGE.bit_length()
    with engine.connect() as connection:
        stored = set(connection.execute(select(ArticleRow.url)).scalars())
        versions = connection.execute(select(func.count()).select_from(ArticleVersion)).scalar()
    sizes = range(1, article_batch.PAGE * 2 + 1)
    assert stored == {f"http://hub.test/n{i}/" for i in range(article_batch.PAGE)} | {
        f"http://hub.test/s{size}-{i}/" for size in sizes for i in range(size)
    }
    assert versions == len(stored)


def test_the_batch_select_reads_two_indexes_not_the_source_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'newshub.db'}")
    try:
        schema.upgrade(engine)
        query = article_batch.archived_query(1, ["http://hub.test/a/"], ["1", "2"])
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    finally:
        engine.dispose()
    steps = [step[-1] for step in plan if "articles" in step[-1]]
    assert len(steps) == 2 and all("(source_id=? AND " in step for step in steps), steps


def concurrent(
    insert: Callable[[Connection], None],
) -> Callable[[Connection, int, list[ArticleItem]], list[bool]]:
    """plain_new, and then a concurrent writer's rows, before the batch's INSERT."""
    original = article_batch.plain_new

    def plain_new_then_insert(
        connection: Connection, source_id: int, items: list[ArticleItem]
    ) -> list[bool]:
        plain = original(connection, source_id, items)
        insert(connection)
        return plain

    return plain_new_then_insert


def test_rows_a_concurrent_writer_inserted_first_are_updated_or_moved(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_id = ensure_source(engine, SOURCE)
    other_writer = [item("x", "theirs", when=T0), item("elsewhere", post_id="7", when=T0)]
    batch = [item("n1"), item("x", "ours"), item("n2"), item("y", post_id="7"), item("n3")]
    reset(engine, source_id)
    one_by_one(engine, source_id, other_writer)
    expected = one_by_one(engine, source_id, batch)
    rows = snapshot(engine, ids=False)

    reset(engine, source_id)

    def insert(connection: Connection) -> None:
        for entry in other_writer:
            RowWriter(source_id).write_article(connection, entry)

    monkeypatch.setattr(article_batch, "plain_new", concurrent(insert))
    assert batched(engine, source_id, batch) == expected
    assert snapshot(engine, ids=False) == rows
    assert expected[0] == ["new", "updated", "new", "unchanged", "new"]
    assert expected[1]["moved"] == 1


def test_the_store_keeps_the_good_rows_of_a_batch_with_a_bad_one(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    store = ArchiveStore(engine, source_id, batch_size=10, flush_interval=0.05)
    store.start()
    store.add_capture(capture("<urn:1>"))
    for entry in (item("a", record="<urn:1>"), item("b", record="<urn:missing>"), item("c")):
        store.add_article(entry)
    store.close()
    assert store.counts["new"] == 2 and store.counts["captures"] == 1
    assert len(store.errors) == 1
    with engine.connect() as connection:
        urls = connection.execute(select(ArticleRow.url).order_by(ArticleRow.id)).scalars()
        assert list(urls) == ["http://hub.test/a/", "http://hub.test/c/"]
        assert len(connection.execute(select(Capture)).all()) == 1
