"""Batched writes of new articles: one SELECT and two multi-row INSERTs for a batch.

The common case of a first crawl is a plain new article: its URL is not archived, no row holds
its post id, no URL it was redirected from is archived, and no other article of the batch
shares any of these keys. Plain new articles are inserted together, post id and translation
group in the INSERT (what `store_identity` sets on a new row), and their versions in one more
statement. Every other article (archived, moved, sharing a key within the batch) goes through
`RowWriter.write_article`, one at a time. The two kinds touch disjoint keys, and the batch is
written in runs of one kind in batch order, so the rows, their ids, the events and the counts
are the ones writing each article alone would give. A plain new article whose INSERT a
concurrent writer got ahead of (its URL or post id now taken) goes the per-article way too.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import CompoundSelect, Connection, insert, select, union_all

from crawler.identity import translation_group
from crawler.items import ArticleItem
from pipelines.db.models import ArticleRow, ArticleVersion
from pipelines.db.rows import RowWriter, article_fields, upsert, version_row

Key = tuple[str, str]
# Articles per SELECT: its IN lists stay far below the databases' limits on bound parameters
# (32,766 on SQLite), whatever DB_BATCH_SIZE is.
MAX_ITEMS = 1000
# Rows per multi-row INSERT, and halves of it down to 1 for the rest: a handful of distinct
# statements. One per row count would fill the SQLite driver's cache of 128 prepared
# statements, 0.8 MB each at 250 rows (100 MB of RSS in a crawl).
PAGE = 128


def write_article_batch(
    writer: RowWriter, connection: Connection, items: list[ArticleItem]
) -> list[str]:
    """Write a batch of articles; their outcomes ('new', 'updated', 'unchanged') in order."""
    outcomes: list[str] = []
    for start in range(0, len(items), MAX_ITEMS):
        outcomes += write_chunk(writer, connection, items[start : start + MAX_ITEMS])
    return outcomes


def write_chunk(writer: RowWriter, connection: Connection, items: list[ArticleItem]) -> list[str]:
    plain = plain_new(connection, writer.source_id, items)
    outcomes: list[str] = []
    for is_plain, run in itertools.groupby(zip(plain, items, strict=True), key=lambda p: p[0]):
        run_items = [item for _, item in run]
        if is_plain:
            outcomes += insert_new(writer, connection, run_items)
        else:
            outcomes += [writer.write_article(connection, item) for item in run_items]
    return outcomes


def article_keys(item: ArticleItem) -> set[Key]:
    """What writing this article reads or changes: its URL, old URLs and post id."""
    url = item.article.url
    keys = {("url", url)} | {("url", old) for old in item.redirected_from}
    if item.post_id is not None:
        keys.add(("post", item.post_id))
    return keys


def plain_new(connection: Connection, source_id: int, items: list[ArticleItem]) -> list[bool]:
    """For each item: whether it is a plain new article (see the module's docstring)."""
    keys = [article_keys(item) for item in items]
    in_batch = Counter(key for item_keys in keys for key in item_keys)
    urls = [value for kind, value in in_batch if kind == "url"]
    post_ids = [value for kind, value in in_batch if kind == "post"]
    archived: set[Key] = set()
    for url, post_id in connection.execute(archived_query(source_id, urls, post_ids)):
        archived.add(("url", url))
        if post_id is not None:
            archived.add(("post", post_id))
    return [
        all(in_batch[key] == 1 and key not in archived for key in item_keys) for item_keys in keys
    ]


def archived_query(source_id: int, urls: list[str], post_ids: list[str]) -> CompoundSelect:
    """URL and post id of the source's rows at these URLs or with these post ids.

    Two SELECTs in one: SQLite reads `url IN (..) OR post_id IN (..)` by scanning all the
    source's rows, which made each batch slower than the last.
    """
    found = [ArticleRow.url.in_(urls)] + ([ArticleRow.post_id.in_(post_ids)] if post_ids else [])
    return union_all(
        *(
            select(ArticleRow.url, ArticleRow.post_id).where(
                ArticleRow.source_id == source_id, condition
            )
            for condition in found
        )
    )


def insert_new(writer: RowWriter, connection: Connection, items: list[ArticleItem]) -> list[str]:
    """Insert plain new articles and their first versions; a lost race goes per article."""
    hashes = [item.article.content_hash() for item in items]
    rows = [new_row(writer.source_id, item, h) for item, h in zip(items, hashes, strict=True)]
    # No conflict target: a URL or a post id a concurrent writer took since plain_new skips
    # the row, and write_article then does what it would have done after that writer.
    statement = (
        upsert(connection, ArticleRow)
        .on_conflict_do_nothing()
        .returning(ArticleRow.id, ArticleRow.url)
    )
    ids: dict[str, int] = {}
    for page in pages(rows):
        ids.update((url, id_) for id_, url in connection.execute(statement, page))
    versions = [
        version_row(ids[item.article.url], h, item)
        for item, h in zip(items, hashes, strict=True)
        if item.article.url in ids
    ]
    for page in pages(versions):
        connection.execute(insert(ArticleVersion), page)
    return [
        "new" if item.article.url in ids else writer.write_article(connection, item)
        for item in items
    ]


def pages(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The rows in slices of PAGE, then of the powers of two that make up the rest."""
    start, size = 0, PAGE
    while start < len(rows):
        while size > len(rows) - start:
            size //= 2
        yield rows[start : start + size]
        start += size


def new_row(source_id: int, item: ArticleItem, content_hash: str) -> dict[str, Any]:
    """The articles row of a plain new article, identity included."""
    return {
        "source_id": source_id,
        "url": item.article.url,
        "content_hash": content_hash,
        "first_seen": item.fetched_at,
        "last_seen": item.fetched_at,
        "post_id": item.post_id,
        "translation_group": translation_group(item.article.url, item.editions),
        **article_fields(item),
    }
