"""WARC files read member by member, reporting damage instead of stopping at it.

newshub writes every record as its own gzip member, so a member is the unit that can be found
by offset, copied byte for byte (subset exports) and checked (verify). warcio's ArchiveIterator
reads the records, their offsets and (deep) their digests. What is ours is what warcio cannot
do: say what is wrong with the member where it stopped (`read_member`), and resynchronize on
the next gzip header that starts a valid record (`resync`), so one flipped byte is one problem,
not the loss of the rest of the file.
"""

from __future__ import annotations

import contextlib
import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException

_CHUNK = 1 << 16
_MAX_HEADER = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"
# What warcio raises on damaged bytes; 1.7 and 1.8 raise AttributeError on a header cut short.
_WARCIO_DAMAGE = (
    ArchiveLoadFailed,
    StatusAndHeadersParserException,
    AttributeError,
    EOFError,
    ValueError,
    zlib.error,
)


@dataclass
class Member:
    """One gzip member: where it is, the WARC headers it holds, and what is wrong with it."""

    offset: int
    length: int
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    # Set by deep reads when the record carries the digest; None when unchecked.
    block_digest_ok: bool | None = None
    payload_digest_ok: bool | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def record_id(self) -> str | None:
        return self.header("WARC-Record-ID")

    @property
    def record_type(self) -> str | None:
        return self.header("WARC-Type")


class _Record:
    """Incremental parse of one decompressed record: its headers, then its block's size."""

    def __init__(self) -> None:
        self.head = b""
        self.headers: dict[str, str] | None = None
        self.block_seen = 0
        self.block_length = 0

    def feed(self, data: bytes) -> str | None:
        """Consume decompressed bytes; returns an error message when the record is malformed."""
        if self.headers is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if not b"WARC/".startswith(self.head[:5]):
                    return "not a WARC record"
                return "WARC header too long" if len(self.head) > _MAX_HEADER else None
            data, self.head = self.head[end + 4 :], self.head[: end + 4]
            error = self._parse_headers()
            if error:
                return error
        self.block_seen += len(data)
        return None

    def _parse_headers(self) -> str | None:
        lines = self.head.decode("utf-8", "replace").split("\r\n")
        if not lines[0].startswith("WARC/"):
            return "not a WARC record"
        self.headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                self.headers[name.strip().lower()] = value.strip()
        try:
            self.block_length = int(self.headers.get("content-length", ""))
        except ValueError:
            return "WARC record without a valid Content-Length"
        return None

    def finish(self, member: Member) -> None:
        if self.headers is None:
            member.error = "not a WARC record" if self.head else "empty gzip member"
            return
        member.headers = self.headers
        # The block is followed by two CRLFs.
        if self.block_seen != self.block_length + 4:
            member.error = (
                f"record holds {max(0, self.block_seen - 4)} bytes, "
                f"Content-Length says {self.block_length}"
            )


def read_member(stream: BinaryIO, offset: int) -> Member:
    """Decode the gzip member at offset (length 0 and an error if none starts there)."""
    stream.seek(offset)
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    record = _Record()
    member = Member(offset, 0)
    consumed = 0
    pending = b""
    while not decompressor.eof:
        if not pending:
            pending = stream.read(_CHUNK)
        try:
            out = decompressor.decompress(pending, _CHUNK)
        except zlib.error as exc:
            member.error = f"corrupt gzip data ({exc})"
            return member
        if not pending and not out:
            member.error = "truncated: the file ends inside this record"
            member.length = consumed
            return member
        rest = decompressor.unused_data if decompressor.eof else decompressor.unconsumed_tail
        consumed += len(pending) - len(rest)
        pending = rest
        if out:
            error = record.feed(out)
            if error:
                member.error = error
                return member
    member.length = consumed
    record.finish(member)
    return member


def resync(stream: BinaryIO, start: int, size: int) -> int:
    """The offset of the next valid member at or after start, else size."""
    position = start
    while position < size:
        stream.seek(position)
        window = stream.read(_CHUNK + len(_GZIP_MAGIC))
        found = window.find(_GZIP_MAGIC)
        if found < 0:
            position += _CHUNK
            continue
        candidate = position + found
        if read_member(stream, candidate).error is None:
            return candidate
        position = candidate + 1
    return size


def whole_members(stream: BinaryIO, start: int = 0, *, deep: bool = False) -> Iterator[Member]:
    """The members warcio reads from start on, stopping before the first damaged one.

    warcio passes over some damage without a word (a member cut inside its gzip trailer, a
    CRC error past the first block of a big one: it reads the record short, or ends); so a
    member is only given out once warcio has moved on to the next one, and the last one of a
    run is checked with read_member."""
    stream.seek(start)
    # HTTP headers are parsed only to find the payload a deep read checks; 64 KiB reads.
    records = ArchiveIterator(
        stream, check_digests=deep, no_record_parse=not deep, block_size=_CHUNK
    )
    held: Member | None = None
    while True:
        try:
            # warcio prints each zlib error it passes over; ours say where the damage is.
            with contextlib.redirect_stderr(io.StringIO()):
                record = next(records, None)
                if record is None:
                    break
                offset, length = records.get_record_offset(), records.get_record_length()
        except _WARCIO_DAMAGE:
            break
        if offset != (start if held is None else held.offset + held.length):
            break  # warcio skipped bytes: from here on, our reader says why
        unread = getattr(record.raw_stream, "limit", None)  # None: no valid Content-Length
        if unread is None or unread > 0:  # or the record ended before its Content-Length
            break
        if held is not None:
            yield held
        held = _member(record, offset, length, deep)
    if held is not None and read_member(stream, held.offset).error is None:
        yield held


def _member(record: ArcWarcRecord, offset: int, length: int, deep: bool) -> Member:
    headers = {name.lower(): value for name, value in record.rec_headers.headers}
    member = Member(offset, length, headers)
    if deep:
        problems = record.digest_checker.problems
        checked = record.digest_checker.passed is not None
        # Without HTTP headers the payload is the block: its digest is the block's, told once.
        kinds = ("block", "payload") if record.http_headers is not None else ("block",)
        for kind in kinds:
            failed = any(p.startswith(f"{kind} digest failed") for p in problems)
            header = member.header(f"WARC-{kind.capitalize()}-Digest")
            ok = None if not (checked and header) else not failed
            setattr(member, f"{kind}_digest_ok", ok)
    return member


def scan(path: str | os.PathLike[str], *, deep: bool = False) -> Iterator[Member]:
    """Every member of a file in order; a damaged stretch is one Member with an error."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        offset = 0
        while offset < size:
            for member in whole_members(stream, offset, deep=deep):
                yield member
                offset = member.offset + member.length
            if offset >= size:
                break
            damaged = read_member(stream, offset)
            if damaged.error is None:
                damaged.error = "warcio cannot read this record"
            if damaged.length == 0:  # undecodable: skip to where valid records resume
                damaged.length = resync(stream, offset + 1, size) - offset
            yield damaged
            offset += damaged.length
