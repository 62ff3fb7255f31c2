"""Identity in the database: a post that changes its URL stays one row with its move recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, text

from crawler.config import Source
from crawler.extraction.article import Article
from crawler.items import ArticleItem
from pipelines.db import schema
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleEvent, ArticleRow, ArticleVersion
from pipelines.db.rows import RowWriter
from pipelines.db.runs import ensure_source

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SOURCE = Source(name="hub", home="http://hub.test/")


def item(url: str, body: str = "text", *, post_id: str | None = None, **extra: object):
    article = Article(url=url, title="T", body=body, published_at=T0, extractor_version="t/1")
    return ArticleItem(source="hub", article=article, fetched_at=T0, post_id=post_id, **extra)  # type: ignore[arg-type]


def write(engine: Engine, source_id: int, entry: ArticleItem) -> str:
    with engine.begin() as connection:
        return RowWriter(source_id).write_article(connection, entry)


def rows(engine: Engine) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(ArticleRow).order_by(ArticleRow.id)))


def events(engine: Engine) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(ArticleEvent).order_by(ArticleEvent.id)))


def test_a_slug_change_keeps_one_row_and_records_the_move(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    assert write(engine, source_id, item("http://hub.test/old-slug/", post_id="42")) == "new"
    later = item("http://hub.test/new-slug/", post_id="42")
    later.fetched_at = T0 + timedelta(days=1)
    assert write(engine, source_id, later) == "unchanged"
    [row] = rows(engine)
    assert (row.url, row.post_id) == ("http://hub.test/new-slug/", "42")
    [move] = events(engine)
    assert (move.kind, move.old_url, move.new_url, move.detail) == (
        "moved", "http://hub.test/old-slug/", "http://hub.test/new-slug/", "post id"
    )  # fmt: skip
    # Moved and edited: still one row, one more version.
    edited = item("http://hub.test/newer/", "edited", post_id="42")
    assert write(engine, source_id, edited) == "updated"
    assert [r.url for r in rows(engine)] == ["http://hub.test/newer/"]
    with engine.connect() as connection:
        assert len(list(connection.execute(select(ArticleVersion)))) == 2
    assert len(events(engine)) == 2


def test_a_redirect_from_a_known_url_is_a_move_without_post_id(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    write(engine, source_id, item("http://hub.test/a/"))
    moved = item("http://hub.test/b/", redirected_from=["http://hub.test/a/"])
    assert write(engine, source_id, moved) == "unchanged"
    assert [r.url for r in rows(engine)] == ["http://hub.test/b/"]
    assert [(e.kind, e.detail) for e in events(engine)] == [("moved", "redirect")]


def test_a_redirect_to_another_post_is_not_a_move(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    write(engine, source_id, item("http://hub.test/a/", post_id="1"))
    other = item("http://hub.test/b/", post_id="2", redirected_from=["http://hub.test/a/"])
    assert write(engine, source_id, other) == "new"
    assert len(rows(engine)) == 2 and events(engine) == []


def test_editions_share_a_translation_group(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    editions = {"fa": "http://hub.test/x/", "en": "http://hub.test/en/x/"}
    write(engine, source_id, item("http://hub.test/x/", post_id="7", editions=editions))
    write(engine, source_id, item("http://hub.test/en/x/", post_id="8", editions=editions))
    write(engine, source_id, item("http://hub.test/alone/", post_id="9"))
    groups = [r.translation_group for r in rows(engine)]
    assert groups == ["http://hub.test/en/x/", "http://hub.test/en/x/", None]


def test_post_id_is_added_to_a_row_archived_before_it_was_read(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    write(engine, source_id, item("http://hub.test/a/"))
    write(engine, source_id, item("http://hub.test/a/", post_id="5"))
    assert [r.post_id for r in rows(engine)] == ["5"]


def test_0006_keeps_rows_up_and_down(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        schema.upgrade(engine, "0005")
        source_id = ensure_source(engine, SOURCE)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO articles (source_id, url, tags, links, content_hash,"
                    " extractor_version, first_seen, last_seen)"
                    " VALUES (:s, 'http://hub.test/a/', '[]', '[]', 'h', 't', :t, :t)"
                ),
                {"s": source_id, "t": T0},
            )
        schema.upgrade(engine, "0006")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT post_id, removed_at FROM articles")).all() == [
                (None, None)
            ]
        schema.downgrade(engine, "0005")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT url FROM articles")).scalars().all() == [
                "http://hub.test/a/"
            ]
        schema.upgrade(engine)
        assert schema.drift(engine) is None
    finally:
        engine.dispose()


def test_the_same_post_id_in_another_language_is_not_a_move(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    english = item("http://hub.test/en/a/", post_id="3")
    english.article.language = "en"
    persian = item("http://hub.test/fa/b/", post_id="3")
    persian.article.language = "fa"
    write(engine, source_id, english)
    assert write(engine, source_id, persian) == "new"
    assert [(r.url, r.post_id) for r in rows(engine)] == [
        ("http://hub.test/en/a/", "3"),
        ("http://hub.test/fa/b/", None),
    ]
    assert events(engine) == []
