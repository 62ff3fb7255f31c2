"""The integrity audit: do the database and the WARC files still agree, byte for byte?

Every WARC file is read to its end (gzip CRCs catch flipped bytes), every capture row must find
its record at its file and offset with the same record id, length and payload digest, and every
article must point at a capture; every response and revisit record must have a capture row (an
orphan: its row was lost, `newshub reextract --orphans` rebuilds it). With `deep`, block and
payload digests are recomputed too.
Damage is reported once, where it is: captures that point into a lost stretch of a file are
counted on that problem rather than listed one by one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from newshub_archive.selection import ArticleFilter
from pipelines.db.models import ArticleRow, Capture, SourceRow
from pipelines.warc.files import OPEN_SUFFIX, WARC_SUFFIX, safe_name_part
from pipelines.warc.members import Member, scan

# Record types that each have a capture row; request, metadata and warcinfo records do not.
ORPHAN_TYPES = ("response", "revisit")


@dataclass
class Problem:
    file: str | None
    offset: int | None
    message: str
    # Captures that point into the damaged stretch this problem describes.
    captures: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = self.file or ""
        if self.offset is not None:
            where += f" @ {self.offset}"
        text = f"{where}: {self.message}" if where else self.message
        if len(self.captures) == 1:
            text += f" (capture of {self.captures[0]})"
        elif self.captures:
            text += f" ({len(self.captures)} captures affected)"
        return text


@dataclass
class Report:
    files: int = 0
    records: int = 0
    captures: int = 0
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    # WARC file -> (offset, length) of its response/revisit records no capture row points at.
    orphans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"{self.files} WARC files ({self.records} records), {self.captures} captures, "
            f"{self.articles} articles checked: {len(self.problems)} problems"
        )


def verify(
    engine: Engine, warc_dir: Path, *, source: str | None = None, deep: bool = False
) -> Report:
    """Audit the archive (or one source's part of it); never raises for damaged data."""
    report = Report()
    capture = Capture.__table__
    query = select(
        capture.c.warc_file,
        capture.c.warc_offset,
        capture.c.warc_length,
        capture.c.warc_record_id,
        capture.c.payload_digest,
        capture.c.url,
    ).order_by(capture.c.warc_file, capture.c.warc_offset)
    seen: set[str] = set()
    with engine.connect() as connection:
        rows = connection.execution_options(yield_per=1000).execute(_by_source(query, source))
        for name, group in itertools.groupby(rows, key=lambda row: row.warc_file):
            captured = list(group)
            seen.add(name)
            report.captures += len(captured)
            _check_file(report, warc_dir, name, captured, deep)
        for name in _unreferenced(warc_dir, seen, source):
            _check_file(report, warc_dir, name, [], deep)
        _check_articles(report, connection, source)
    return report


def _by_source(query: Any, source: str | None) -> Any:
    if not source:
        return query
    sources = SourceRow.__table__
    ids = select(sources.c.id).where(sources.c.name == source)
    return query.where(Capture.__table__.c.source_id.in_(ids))


def _unreferenced(warc_dir: Path, seen: set[str], source: str | None) -> list[str]:
    """WARC files no capture row names (each still has to parse), of `source` if given."""
    if not warc_dir.is_dir():
        return []
    prefix = f"{safe_name_part(source)}-" if source else ""
    return sorted(
        path.name
        for path in warc_dir.iterdir()
        if path.name.endswith(WARC_SUFFIX)
        and path.name.startswith(prefix)
        and path.name not in seen
    )


def _check_file(report: Report, warc_dir: Path, name: str, captured: list[Any], deep: bool) -> None:
    path = warc_dir / name
    growing = False
    if not path.exists() and (warc_dir / (name + OPEN_SUFFIX)).exists():
        path, growing = warc_dir / (name + OPEN_SUFFIX), True  # a crawl is still writing it
    if not path.exists():
        count = f"{len(captured)} capture{'s' if len(captured) != 1 else ''} point into it"
        report.problems.append(Problem(name, None, f"missing WARC file ({count})"))
        return
    report.files += 1
    members: dict[int, Member] = {}
    damaged: list[Problem] = []
    for member in scan(path, deep=deep):
        members[member.offset] = member
        if member.error is None:
            report.records += 1
        elif not (growing and member.error.startswith("truncated")):
            damaged.append(Problem(name, member.offset, member.error))
        for kind in ("block", "payload"):
            if getattr(member, f"{kind}_digest_ok") is False:
                damaged.append(Problem(name, member.offset, f"{kind} digest does not match"))
    for row in captured:
        _check_capture(report, name, members, damaged, row)
    report.problems.extend(damaged)
    if not growing:  # a crawl still writing a file has not stored all its rows yet
        _check_orphans(report, name, members, {row.warc_offset for row in captured})


def _check_orphans(
    report: Report, name: str, members: dict[int, Member], captured: set[int]
) -> None:
    """Response and revisit records without a capture row: one problem for the file."""
    orphans = [
        (member.offset, member.length)
        for member in members.values()
        if member.error is None
        and member.record_type in ORPHAN_TYPES
        and member.offset not in captured
    ]
    if not orphans:
        return
    report.orphans[name] = orphans
    count = f"{len(orphans)} {'records have' if len(orphans) > 1 else 'record has'}"
    message = f"{count} no capture row (newshub reextract --orphans restores them)"
    report.problems.append(Problem(name, orphans[0][0], message))


def _check_capture(
    report: Report, name: str, members: dict[int, Member], damaged: list[Problem], row: Any
) -> None:
    member = members.get(row.warc_offset)
    if member is None or member.error is not None:
        for problem in damaged:
            start = problem.offset or 0
            span = members[start].length if start in members else 1
            if problem.message.startswith("truncated"):
                span = row.warc_offset + 1  # everything past the cut is lost with it
            if start <= row.warc_offset < start + span:
                problem.captures.append(row.url)
                return
        report.problems.append(
            Problem(name, row.warc_offset, f"no record starts here (capture of {row.url})")
        )
        return
    expected = (
        ("record id", member.record_id, row.warc_record_id),
        ("payload digest", member.header("WARC-Payload-Digest"), row.payload_digest),
        ("length", member.length, row.warc_length),
    )
    for label, found, wanted in expected:
        if found != wanted:
            report.problems.append(
                Problem(name, row.warc_offset, f"{label} is {found}, the database says {wanted}")
            )


def _check_articles(report: Report, connection: Any, source: str | None) -> None:
    article, capture = ArticleRow.__table__, Capture.__table__
    query = ArticleFilter(source=source).apply(
        select(article.c.id, article.c.url, article.c.warc_record_id, capture.c.id.label("cid"))
        .select_from(article)
        .outerjoin(capture, capture.c.warc_record_id == article.c.warc_record_id)
        .order_by(article.c.id)
    )
    for row in connection.execution_options(yield_per=1000).execute(query):
        report.articles += 1
        if row.cid is None:
            what = (
                "points at no capture"
                if row.warc_record_id is None
                else (f"points at {row.warc_record_id}, which no capture has")
            )
            report.problems.append(Problem(None, None, f"article {row.id} ({row.url}) {what}"))
