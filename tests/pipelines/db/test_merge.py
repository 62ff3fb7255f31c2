"""An article archived under its old and its new URL becomes one row when the old redirects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from crawler.config import Source
from crawler.extraction.article import Article
from crawler.items import ArticleItem
from pipelines.db.merge import merge_redirects
from pipelines.db.models import ArticleEvent, ArticleRow, ArticleVersion
from pipelines.db.rows import RowWriter
from pipelines.db.runs import ensure_source

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SOURCE = Source(name="hub", home="http://hub.test/")
OLD, NEW = "http://hub.test/old/", "http://hub.test/new/"


def write(engine: Engine, source_id: int, url: str, body: str, when: datetime, **extra: object):
    article = Article(url=url, title="T", body=body, extractor_version="t/1")
    item = ArticleItem(source="hub", article=article, fetched_at=when, **extra)  # type: ignore[arg-type]
    with engine.begin() as connection:
        return RowWriter(source_id).write_article(connection, item)


def state(engine: Engine) -> tuple[list, list, list]:
    with engine.connect() as connection:
        rows = list(connection.execute(select(ArticleRow).order_by(ArticleRow.id)))
        versions = list(connection.execute(select(ArticleVersion).order_by(ArticleVersion.id)))
        events = list(connection.execute(select(ArticleEvent)))
    return rows, versions, events


def test_the_old_row_takes_the_new_url_fields_and_versions(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    write(engine, source_id, OLD, "first", T0)
    write(engine, source_id, NEW, "first", T0 + timedelta(days=1))  # same text: no new version
    write(engine, source_id, NEW, "edited", T0 + timedelta(days=2))
    old_id = state(engine)[0][0].id
    assert merge_redirects(engine, source_id, [(OLD, NEW, T0 + timedelta(days=3))]) == 1
    rows, versions, events = state(engine)
    assert [(r.id, r.url, r.body) for r in rows] == [(old_id, NEW, "edited")]
    assert rows[0].first_seen == T0 and rows[0].last_seen == T0 + timedelta(days=2)
    assert [v.fields["body"] for v in versions] == ["first", "edited"]
    assert {v.article_id for v in versions} == {old_id}
    assert [(e.kind, e.old_url, e.new_url, e.detail) for e in events] == [
        ("moved", OLD, NEW, "redirect")
    ]
    # Done once: the old URL has no row any more.
    assert merge_redirects(engine, source_id, [(OLD, NEW, T0 + timedelta(days=4))]) == 0


def test_two_posts_are_never_merged(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    write(engine, source_id, OLD, "one", T0, post_id="1")
    write(engine, source_id, NEW, "two", T0, post_id="2")
    assert merge_redirects(engine, source_id, [(OLD, NEW, T0)]) == 0
    assert len(state(engine)[0]) == 2
