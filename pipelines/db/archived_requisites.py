"""Which URLs a source has archived recently, so a recrawl does not fetch its requisites again.

Read once in a thread when the spider opens (crawler.middlewares.requisites). A URL counts when
a capture of it answered 200 (a response or a revisit: replay serves both), or answered with a
redirect whose target, followed through the archive, did. The database does not keep a
redirect's Location, so it is read from the WARC record; a record that cannot be read leaves
the URL out, and it is fetched again. Only captures since `since` are loaded: older copies are
due for a refresh, and memory stays bounded by the window, not by the archive's age.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from datetime import datetime
from typing import BinaryIO
from urllib.parse import urldefrag, urljoin

from sqlalchemy import Engine, func, select

from pipelines.db.models import Capture, SourceRow
from pipelines.warc.files import OPEN_SUFFIX
from pipelines.warc.reading import record_at

logger = logging.getLogger(__name__)

_REDIRECTS = (301, 302, 303, 307, 308)
# Redirects followed from one URL before giving up (Scrapy's REDIRECT_MAX_TIMES is 20).
_MAX_HOPS = 20

# (fetched_at, warc_file, warc_offset) of a URL's newest redirect capture.
_Redirect = tuple[datetime, str, int]


def load_archived(
    engine: Engine, source: int | str, since: datetime, warc_dir: str | os.PathLike[str] | None
) -> dict[str, datetime]:
    """URL -> fetch time of its archived copy (the oldest link of a redirect chain). Blocking."""
    table = Capture.__table__
    recent = table.c.fetched_at >= since
    with engine.connect() as connection:
        if isinstance(source, str):
            found = connection.execute(select(SourceRow.id).where(SourceRow.name == source))
            source = found.scalar() or 0
            if not source:
                return {}
        mine = table.c.source_id == source
        newest = func.max(table.c.fetched_at)
        ok = connection.execute(
            select(table.c.url, newest)
            .where(mine, recent, table.c.status == 200)
            .group_by(table.c.url)
        )
        archived: dict[str, datetime] = {url: fetched for url, fetched in ok}
        moved = connection.execute(
            select(table.c.url, table.c.fetched_at, table.c.warc_file, table.c.warc_offset)
            .where(mine, recent, table.c.status.in_(_REDIRECTS))
            .order_by(table.c.fetched_at)  # the newest capture of a URL wins
        )
        redirects: dict[str, _Redirect] = {url: (f, w, o) for url, f, w, o in moved}
    for url in archived:
        redirects.pop(url, None)
    if redirects and warc_dir is not None:
        targets = _locations(warc_dir, redirects)
        for url in redirects:
            fetched = _follow(url, archived, redirects, targets)
            if fetched is not None:
                archived[url] = fetched
    return archived


def _follow(
    url: str,
    archived: dict[str, datetime],
    redirects: dict[str, _Redirect],
    targets: dict[str, str],
) -> datetime | None:
    """When the redirect chain from url, archived link by link, was fetched; None if broken."""
    oldest: datetime | None = None
    for _ in range(_MAX_HOPS):
        if url in archived:
            return archived[url] if oldest is None else min(oldest, archived[url])
        if url not in redirects or url not in targets:
            return None
        fetched = redirects[url][0]
        oldest = fetched if oldest is None else min(oldest, fetched)
        url = targets[url]
    return None


def _locations(warc_dir: str | os.PathLike[str], redirects: dict[str, _Redirect]) -> dict[str, str]:
    """Absolute Location of each redirect, read from its WARC record (one open per file)."""
    by_file: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for url, (_, warc_file, offset) in redirects.items():
        by_file[warc_file].append((offset, url))
    targets: dict[str, str] = {}
    for warc_file, records in by_file.items():
        path = os.path.join(warc_dir, warc_file)
        if not os.path.exists(path) and os.path.exists(path + OPEN_SUFFIX):
            path += OPEN_SUFFIX  # an interrupted run's file, not yet recovered
        try:
            with open(path, "rb") as stream:
                for offset, url in sorted(records):
                    location = _location(stream, offset)
                    if location:
                        targets[url] = urldefrag(urljoin(url, location))[0]
        except Exception as exc:  # moved or damaged: those URLs are fetched again
            logger.info("requisites: cannot read redirects in %s (%s)", path, exc)
    return targets


def _location(stream: BinaryIO, offset: int) -> str | None:
    record = record_at(stream, offset)
    if record is None or record.http_headers is None:
        return None
    return record.http_headers.get_header("Location")
