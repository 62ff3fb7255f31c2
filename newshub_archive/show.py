"""One article in full: its fields, every capture behind it, its versions and how they differ.

An article is named by id or by URL; a URL that is not an article's canonical URL still finds
the article when one of its captures has that URL (a redirect, a `?p=123` link).
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from crawler.errors import NewshubError
from crawler.settings import HUB_TRACKING_PARAMS
from crawler.urls import clean_url
from newshub_archive.replay_urls import replay_url
from pipelines.db.models import ArticleEvent, ArticleRow, ArticleVersion, Capture, SourceRow

ARTICLE_FIELDS = (
    "id", "url", "title", "lead", "body", "author", "published_at", "modified_at", "category",
    "tags", "agency", "agency_line", "language", "image", "links", "content_hash",
    "extractor_version", "warc_record_id", "first_seen", "last_seen", "post_id", "removed_at",
    "translation_group",
)  # fmt: skip
EVENT_FIELDS = ("at", "kind", "old_url", "new_url", "detail")
CAPTURE_FIELDS = (
    "fetched_at", "status", "record_type", "url", "content_type", "warc_file", "warc_offset",
    "warc_length", "warc_record_id", "payload_digest",
)  # fmt: skip


class ArticleNotFound(NewshubError):
    """No article has that id or URL."""


@dataclass
class ArticleView:
    article: dict[str, Any]
    captures: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    replay_url: str | None
    diffs: list[str] = field(default_factory=list)
    # Moves, removals and returns, oldest first (pipelines.db.identity, .removals).
    events: list[dict[str, Any]] = field(default_factory=list)
    # The other language editions of the article: id, language, url.
    editions: list[dict[str, Any]] = field(default_factory=list)


def find_article_id(connection: Connection, ref: str) -> int:
    """The id of the article `ref` names: an id, a canonical URL or a captured URL.

    A URL is tried as given, then cleaned as the crawler cleans links (tracking parameters
    and fragment dropped), so a shared `...?utm_source=x` link finds its article.
    """
    article = ArticleRow.__table__
    if ref.strip().isdigit():
        found = connection.execute(select(article.c.id).where(article.c.id == int(ref))).first()
        if found is None:
            raise ArticleNotFound(f"no article with id {ref}")
        return int(found[0])
    ids = _ids_by_url(connection, ref)
    cleaned = clean_url(ref, HUB_TRACKING_PARAMS)
    if not ids and cleaned != ref:
        ids = _ids_by_url(connection, cleaned)
    if not ids:
        raise ArticleNotFound(f"no article with URL {ref}")
    if len(ids) > 1:
        raise ArticleNotFound(f"{len(ids)} articles have URL {ref}: use an id ({ids[0]}, ...)")
    return int(ids[0])


def _ids_by_url(connection: Connection, ref: str) -> list[int]:
    """Articles whose canonical URL is `ref`, else one that moved from `ref`, else those with
    a capture of `ref`."""
    article = ArticleRow.__table__
    ids = (
        connection.execute(select(article.c.id).where(article.c.url == ref).order_by(article.c.id))
        .scalars()
        .all()
    )
    if not ids:
        events = ArticleEvent.__table__
        moved = select(events.c.article_id).where(events.c.kind == "moved", events.c.old_url == ref)
        ids = connection.execute(moved.distinct()).scalars().all()
    if not ids:
        records = select(Capture.__table__.c.warc_record_id).where(Capture.__table__.c.url == ref)
        ids = (
            connection.execute(
                select(article.c.id).where(article.c.warc_record_id.in_(records)).distinct()
            )
            .scalars()
            .all()
        )
    return [int(article_id) for article_id in ids]


def show(engine: Engine, ref: str, *, diff: bool = False) -> ArticleView:
    """Everything the archive knows about one article."""
    article, versions, captures = (
        ArticleRow.__table__,
        ArticleVersion.__table__,
        Capture.__table__,
    )
    with engine.connect() as connection:
        article_id = find_article_id(connection, ref)
        row = (
            connection.execute(
                select(SourceRow.__table__.c.name.label("source"), *article.c[ARTICLE_FIELDS])
                .join(SourceRow.__table__, SourceRow.__table__.c.id == article.c.source_id)
                .where(article.c.id == article_id)
            )
            .mappings()
            .one()
        )
        version_rows = [
            dict(v)
            for v in connection.execute(
                select(versions).where(versions.c.article_id == article_id).order_by(versions.c.id)
            ).mappings()
        ]
        records = {row["warc_record_id"]} | {v["warc_record_id"] for v in version_rows}
        records.discard(None)
        events = _events(connection, article_id)
        urls = {row["url"]} | {e["old_url"] for e in events if e["kind"] == "moved"}
        capture_rows = [
            dict(c)
            for c in connection.execute(
                select(*captures.c[CAPTURE_FIELDS])
                .where(or_(captures.c.url.in_(urls), captures.c.warc_record_id.in_(records)))
                .order_by(captures.c.fetched_at, captures.c.id)
            ).mappings()
        ]
    current = next((c for c in capture_rows if c["warc_record_id"] == row["warc_record_id"]), None)
    when: datetime = current["fetched_at"] if current else row["last_seen"]
    view = ArticleView(
        article=dict(row),
        captures=capture_rows,
        versions=[_version(v, n) for n, v in enumerate(version_rows, start=1)],
        replay_url=replay_url(current["url"] if current else row["url"], when),
        events=events,
        editions=editions(engine, article_id),
    )
    if diff:
        view.diffs = version_diffs(view.versions)
    return view


def _events(connection: Connection, article_id: int) -> list[dict[str, Any]]:
    events = ArticleEvent.__table__
    query = select(*events.c[EVENT_FIELDS]).where(events.c.article_id == article_id)
    return [dict(e) for e in connection.execute(query.order_by(events.c.id)).mappings()]


def editions(engine: Engine, article_id: int) -> list[dict[str, Any]]:
    """The article's other language editions (same source and translation group)."""
    article = ArticleRow.__table__
    with engine.connect() as connection:
        mine = connection.execute(
            select(article.c.source_id, article.c.translation_group).where(
                article.c.id == article_id
            )
        ).first()
        if mine is None or mine.translation_group is None:
            return []
        rows = connection.execute(
            select(article.c.id, article.c.language, article.c.url)
            .where(
                article.c.source_id == mine.source_id,
                article.c.translation_group == mine.translation_group,
                article.c.id != article_id,
            )
            .order_by(article.c.language, article.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def _version(row: dict[str, Any], number: int) -> dict[str, Any]:
    """A version row numbered 1..N in capture order (its database id stays under `id`)."""
    fields = row.pop("fields") or {}
    row.pop("article_id", None)
    # `sources`: where the extractor found each field ({"published_at": "json-ld"}).
    return {
        "version": number,
        **row,
        "title": fields.get("title"),
        "body": fields.get("body") or "",
        "sources": fields.get("sources") or {},
    }


def version_diffs(versions: list[dict[str, Any]]) -> list[str]:
    """A unified diff of the body (and title) between each version and the next."""
    diffs = []
    for old, new in itertools.pairwise(versions):
        before = [f"# {old['title'] or ''}", *(old["body"] or "").splitlines()]
        after = [f"# {new['title'] or ''}", *(new["body"] or "").splitlines()]
        lines = difflib.unified_diff(
            before,
            after,
            fromfile=f"version {old['version']} ({old['captured_at'].isoformat()})",
            tofile=f"version {new['version']} ({new['captured_at'].isoformat()})",
            lineterm="",
        )
        diffs.append("\n".join(lines))
    return diffs
