"""A small but real archive for query tests: WARC files written by WarcWriter, rows by the store.

Each article is fetched as a page (response, request and metadata records) and stored through
ArchiveStore exactly as a crawl would, so search, show, export and verify see real data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from crawler.config import Source
from crawler.extraction.article import Article
from crawler.items import ArticleItem
from pipelines.db.runs import ensure_source, finish_run, start_run
from pipelines.db.store import ArchiveStore
from pipelines.warc.records import HttpExchange
from pipelines.warc.writer import WarcWriter

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Page:
    """One article as a test wants it archived."""

    slug: str
    title: str
    body: str
    published_at: datetime = T0
    category: str | None = "Politics"
    agency: str | None = "IRNA"
    source: str = "hub"
    extra: dict[str, Any] = field(default_factory=dict)
    # Stylesheets (.css) and images the page references, as written in its HTML.
    requisites: tuple[str, ...] = ()

    def url(self) -> str:
        return f"http://{self.source}.test/{self.slug}/"


def page_html(page: Page) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in page.body.split("\n"))
    links = "".join(f'<link rel="stylesheet" href="{r}">' for r in page.requisites if ".css" in r)
    images = "".join(f'<img src="{r}">' for r in page.requisites if ".css" not in r)
    return (
        f"<html><head><title>{page.title}</title>{links}</head><body><article>"
        f"<h1>{page.title}</h1>{images}{paragraphs}</article></body></html>"
    ).encode()


def exchange(
    url: str, body: bytes, when: datetime, content_type: str = "text/html; charset=utf-8"
) -> HttpExchange:
    return HttpExchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "newshub-test"), ("Host", url.split("/")[2])],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[("Content-Type", content_type)],
        body=body,
        ip_address="127.0.0.1",
        fetched_at=when,
        duration=0.01,
        via="http://hub.test/",
        hops="L",
    )


def archive(
    engine: Engine,
    warc_dir: Path,
    pages: Iterable[Page],
    *,
    fetched_at: datetime = T0,
    max_size: int = 1_000_000_000,
) -> dict[str, str]:
    """Crawl `pages` into warc_dir and the database; returns {url: response record id}."""
    by_source: dict[str, list[Page]] = {}
    for page in pages:
        by_source.setdefault(page.source, []).append(page)
    records: dict[str, str] = {}
    for source, group in by_source.items():
        source_id = ensure_source(engine, Source(name=source, home=f"http://{source}.test/"))
        run_id, _ = start_run(engine, source_id)
        store = ArchiveStore(engine, source_id, run_id, batch_size=50, flush_interval=0.05)
        store.start()
        writer = WarcWriter(warc_dir, source, max_size=max_size)
        for number, page in enumerate(group):
            when = fetched_at + timedelta(seconds=number)
            record = writer.write_exchange(exchange(page.url(), page_html(page), when))
            records[page.url()] = record.record_id
            store.add_capture(
                record.capture(
                    status=200,
                    content_type="text/html; charset=utf-8",
                    size=len(page_html(page)),
                )
            )
            article = Article(
                url=page.url(),
                title=page.title,
                body=page.body,
                published_at=page.published_at,
                category=page.category,
                agency=page.agency,
                extractor_version="test/1",
                **{"language": "en", **page.extra},
            )
            store.add_article(ArticleItem(source, article, when, record.record_id))
        writer.close()
        store.close()
        assert store.errors == []
        finish_run(
            engine,
            run_id,
            status="finished",
            counts=dict(store.counts),
            warc_files=writer.files,
        )
    return records


def archive_files(
    engine: Engine,
    warc_dir: Path,
    source: str,
    files: dict[str, tuple[str, bytes]],
    *,
    fetched_at: datetime = T0,
) -> dict[str, str]:
    """Archive non-article responses ({url: (content type, body)}); returns {url: record id}."""
    source_id = ensure_source(engine, Source(name=source, home=f"http://{source}.test/"))
    store = ArchiveStore(engine, source_id, batch_size=50, flush_interval=0.05)
    store.start()
    records = {}
    with WarcWriter(warc_dir, source) as writer:
        for url, (content_type, body) in files.items():
            record = writer.write_exchange(exchange(url, body, fetched_at, content_type))
            records[url] = record.record_id
            store.add_capture(record.capture(status=200, content_type=content_type, size=len(body)))
    store.close()
    assert store.errors == []
    return records
