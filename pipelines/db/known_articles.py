"""What a recrawl knows about a source's archived articles, and what it learns back.

Read once in a thread when the spider opens, written back in a thread when it closes (after the
item pipeline has stored the run's articles), so the reactor thread never waits on the database.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit, urlunsplit

from sqlalchemy import Engine, bindparam, select, update

from pipelines.db.models import ArticleRow, CrawlRun, SourceRow

# Runs looked at to decide whether the source was ever crawled through to the end.
_RECENT_RUNS = 20


@dataclasses.dataclass(frozen=True, slots=True)
class KnownArticle:
    """An archived article as the recrawl policy sees it."""

    published_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    etag: str | None = None
    last_modified: str | None = None
    # The source's own change signals as last seen (REST modified_gmt, sitemap lastmod), raw.
    source_modified: str | None = None
    source_lastmod: str | None = None
    # When the site was first seen to have removed it (pipelines.db.removals), if it did.
    removed_at: datetime | None = None


@dataclasses.dataclass
class Known:
    """A source's archived articles by canonical URL, and whether a full crawl ever finished.

    `by_post_id` maps a WordPress post id to the article's URL, so a shortlink (`/?p=ID`),
    which WordPress redirects to the permalink, is known before it is requested.
    """

    source_id: int | None = None
    articles: dict[str, KnownArticle] = dataclasses.field(default_factory=dict)
    completed: bool = False
    by_post_id: dict[str, str] = dataclasses.field(default_factory=dict)

    def find(self, url: str) -> tuple[str, KnownArticle] | None:
        """The archived article `url` names, with its canonical URL: the URL itself, the
        permalink without its trailing slash, or a `?p=ID` shortlink; None if unknown."""
        known = self.articles.get(url)
        if known is not None:
            return url, known
        parts = urlsplit(url)
        if not parts.query and not parts.path.endswith("/"):
            slashed = urlunsplit(parts._replace(path=parts.path + "/"))
            if slashed in self.articles:
                return slashed, self.articles[slashed]
        post_id = _shortlink_id(parts)
        canonical = self.by_post_id.get(post_id) if post_id else None
        if canonical is not None and canonical in self.articles:
            return canonical, self.articles[canonical]
        return None


def _shortlink_id(parts: SplitResult) -> str | None:
    """The post id of a WordPress shortlink (`https://hub/?p=123`), else None."""
    if parts.path not in ("", "/"):
        return None
    query = parse_qs(parts.query)
    values = query.get("p", [])
    plain = len(query) == 1 and len(values) == 1 and values[0].isdigit()
    return values[0] if plain else None


def load_known(engine: Engine, source_id: int | None, source_name: str) -> Known:
    """Everything a recrawl needs, in two queries (one row per article)."""
    table = ArticleRow.__table__
    with engine.connect() as connection:
        if not source_id:
            source_id = connection.execute(
                select(SourceRow.id).where(SourceRow.name == source_name)
            ).scalar()
            if source_id is None:
                return Known()
        rows = connection.execute(
            select(
                table.c.url,
                table.c.published_at,
                table.c.first_seen,
                table.c.last_seen,
                table.c.etag,
                table.c.last_modified,
                table.c.source_modified,
                table.c.source_lastmod,
                table.c.removed_at,
                table.c.post_id,
            ).where(table.c.source_id == source_id)
        )
        articles, by_post_id = {}, {}
        for row in rows:
            articles[row.url] = KnownArticle(*row[1:-1])
            if row.post_id:
                by_post_id[row.post_id] = row.url
        runs = connection.execute(
            select(CrawlRun.stats)
            .where(CrawlRun.source_id == source_id, CrawlRun.status == "finished")
            .order_by(CrawlRun.id.desc())
            .limit(_RECENT_RUNS)
        ).scalars()
        # A run that stopped at max_articles saw only part of the site's listings.
        completed = any((stats or {}).get("finish_reason") == "finished" for stats in runs)
    return Known(source_id=source_id, articles=articles, completed=completed, by_post_id=by_post_id)


def write_back(
    engine: Engine,
    source_id: int,
    validators: Iterable[tuple[str, str | None, str | None]],
    not_modified: Iterable[tuple[str, datetime]],
    signals: Iterable[tuple[str, str | None, str | None]] = (),
) -> None:
    """Store (url, etag, last_modified) of fetched pages, bump last_seen after 304s, and
    record (url, source_modified, source_lastmod) the source gave for articles seen this run
    (a None leaves the recorded value as it was).

    Only article rows are touched: validators of other pages match no row and cost nothing.
    Rows go in slices of WRITE_BACK_SLICE, so a crawl of any size builds no list of all of them.
    """
    key = (ArticleRow.source_id == source_id) & (ArticleRow.url == bindparam("b_url"))
    seen = bindparam("b_seen", type_=ArticleRow.__table__.c.last_seen.type)
    set_validators = update(ArticleRow).where(key)
    set_validators = set_validators.values(
        etag=bindparam("b_etag"), last_modified=bindparam("b_modified")
    )
    set_signal = {
        column: update(ArticleRow).where(key).values({column: bindparam("b_value")})
        for column in ("source_modified", "source_lastmod")
    }
    set_seen = update(ArticleRow).where(key, ArticleRow.last_seen < seen).values(last_seen=seen)
    with engine.begin() as connection:
        for rows in _slices(validators):
            connection.execute(
                set_validators, [{"b_url": u, "b_etag": e, "b_modified": m} for u, e, m in rows]
            )
        for rows in _slices(signals):
            for index, column in ((1, "source_modified"), (2, "source_lastmod")):
                values = [{"b_url": row[0], "b_value": row[index]} for row in rows if row[index]]
                if values:
                    connection.execute(set_signal[column], values)
        for rows in _slices(not_modified):
            connection.execute(set_seen, [{"b_url": url, "b_seen": when} for url, when in rows])


# Rows per executemany of write_back.
WRITE_BACK_SLICE = 1000


def _slices(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, WRITE_BACK_SLICE)):
        yield chunk
