"""Reading WARC files back: recovery of files a dead writer left open, and a record iterator.

A writer that dies (``kill -9``, power loss) leaves ``NAME.open`` with whole gzip members and at
most one torn one at the end. ``recover`` keeps the whole ones and gives the file its final name.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from pipelines.warc.files import OPEN_SUFFIX, closed_name, same_file
from pipelines.warc.members import whole_members


@dataclass(frozen=True)
class RecoveryResult:
    """What recover() did to one ``.open`` file.

    action: "recovered" (renamed, maybe trimmed), "removed" (no whole record in it),
    "locked" (a live writer holds it: left alone) or "conflict" (closed name already taken).
    """

    path: str
    action: str
    records: int = 0
    kept_bytes: int = 0
    dropped_bytes: int = 0


@dataclass(frozen=True)
class StoredRecord:
    """One record as read back, with the raw payload (Content-Encoding not undone)."""

    offset: int
    length: int
    record_type: str
    headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    payload: bytes
    # True/False once checked against WARC-Block-Digest/WARC-Payload-Digest; None if none.
    digests_ok: bool | None


def recover(directory: str | os.PathLike[str]) -> list[RecoveryResult]:
    """Close every ``*.open`` WARC in directory whose writer is gone; leave live ones alone."""
    directory = os.fspath(directory)
    results = []
    for entry in sorted(os.listdir(directory)):
        if entry.endswith(OPEN_SUFFIX):
            result = _recover_file(os.path.join(directory, entry))
            if result is not None:
                results.append(result)
    return results


def _recover_file(open_path: str) -> RecoveryResult | None:
    try:
        fd = os.open(open_path, os.O_RDWR)
    except FileNotFoundError:  # its writer closed it meanwhile
        return None
    with os.fdopen(fd, "r+b") as stream:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return RecoveryResult(open_path, "locked")
        if not same_file(fd, open_path):  # closed and renamed between open and lock
            return None
        size = os.fstat(fd).st_size
        records = kept = 0
        # Whole records from the start; the first torn, corrupt or non-WARC one ends the file.
        for member in whole_members(stream):
            records += 1
            kept = member.offset + member.length
        path = closed_name(open_path)
        if records == 0:
            os.unlink(open_path)
            return RecoveryResult(path, "removed", dropped_bytes=size)
        if os.path.exists(path):
            return RecoveryResult(open_path, "conflict", records, kept, size - kept)
        if kept < size:
            stream.truncate(kept)
        os.fsync(fd)
        os.rename(open_path, path)
        return RecoveryResult(path, "recovered", records, kept, size - kept)


def iter_records(path: str | os.PathLike[str]) -> Iterator[StoredRecord]:
    """Every record of a WARC file via warcio, with digests checked and exact member offsets."""
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, check_digests=True)
        for record in records:
            payload = record.raw_stream.read()
            offset = records.get_record_offset()
            length = records.get_record_length()
            yield StoredRecord(
                offset=offset,
                length=length,
                record_type=record.rec_type,
                headers=record.rec_headers,
                http_headers=record.http_headers,
                payload=payload,
                digests_ok=record.digest_checker.passed,
            )
