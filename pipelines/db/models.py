"""The archive's schema. Alembic migrations create it; this module only describes it.

Plain tables with plain column types, so the SQLite file opens in Datasette and sqlite-utils
without surprises. Datetimes are stored as UTC and always read back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored in UTC and returned timezone-aware on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SourceRow(Base):
    """A news hub newshub archives."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    home_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    """One execution of a crawl, successful or not."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    # running, finished, failed, skipped, interrupted
    status: Mapped[str] = mapped_column(String(16))
    # manual, cron, daemon
    trigger: Mapped[str] = mapped_column(String(16))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    bytes_archived: Mapped[int] = mapped_column(BigInteger, default=0)
    warc_files: Mapped[list[str]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # The `newshub worker` (host:pid) that ran the crawl process, and its Procrastinate job;
    # None when the crawl ran outside a cluster.
    worker: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[int | None] = mapped_column(BigInteger)


class Capture(Base):
    """One archived HTTP response and where its WARC record lies."""

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_url_fetched_at", "url", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(255))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(BigInteger)
    payload_digest: Mapped[str] = mapped_column(String(64), index=True)
    # Content-Encoding + SHA-1 of the decoded payload: the lookup key of dedup (revisits).
    dedup_key: Mapped[str | None] = mapped_column(String(64), index=True)
    record_type: Mapped[str] = mapped_column(String(16))
    warc_file: Mapped[str] = mapped_column(String(255))
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    warc_record_id: Mapped[str] = mapped_column(String(64), unique=True)


class ArticleRow(Base):
    """The latest extracted state of one article (canonical URL, unique per source)."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("source_id", "url"),
        # One row per WordPress post however often its URL changes (migration 0006).
        Index("ix_articles_source_id_post_id", "source_id", "post_id", unique=True),
        # Everything the facet counts read (migration 0005): counted from the index alone.
        Index(
            "ix_articles_facets",
            "source_id", "category", "agency", "language", "author", "published_at",
            postgresql_include=["id"],
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    category: Mapped[str | None] = mapped_column(Text, index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(Text, index=True)
    agency_line: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(64))
    # The WARC response record the current fields were extracted from.
    warc_record_id: Mapped[str | None] = mapped_column(
        ForeignKey("captures.warc_record_id"), index=True
    )
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    # Validators of the page as last fetched, sent back so a recrawl can get a 304.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    # The source's own change signals as last seen, raw: REST `modified_gmt`, sitemap lastmod.
    source_modified: Mapped[str | None] = mapped_column(Text)
    source_lastmod: Mapped[str | None] = mapped_column(Text)
    # The site's own id of the post (WordPress `?p=ID`): it survives slug and path changes.
    post_id: Mapped[str | None] = mapped_column(String(32))
    # When the site was first seen to have removed the article (404/410, a redirect home).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Language editions of one article share it (the smallest URL among their hreflang set).
    translation_group: Mapped[str | None] = mapped_column(Text, index=True)


class ArticleVersion(Base):
    """A distinct extracted state of an article; added only when the content changes."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    warc_record_id: Mapped[str | None] = mapped_column(
        ForeignKey("captures.warc_record_id"), index=True
    )
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extractor_version: Mapped[str] = mapped_column(String(64))
    # Every extracted field of this version, as `newshub export` names them.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)


class ArticleEvent(Base):
    """Something that happened to an article's address: moved, removed, returned."""

    __tablename__ = "article_events"
    __table_args__ = (Index("ix_article_events_source_id_old_url", "source_id", "old_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    # moved, removed, returned
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_url: Mapped[str | None] = mapped_column(Text)
    new_url: Mapped[str | None] = mapped_column(Text)
    # How it was seen: "post id", "redirect", "404", "410", "redirect home", "200", "304".
    detail: Mapped[str | None] = mapped_column(String(64))
