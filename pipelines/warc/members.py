"""WARC files read member by member, reporting damage instead of stopping at it.

newshub writes every record as its own gzip member, so a member is the unit that can be found
by offset, copied byte for byte (subset exports) and checked (verify). `scan` walks a whole file
and, past a damaged member, resynchronizes on the next gzip header that starts a valid record,
so one flipped byte is one problem, not the loss of the rest of the file.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

_CHUNK = 1 << 16
_MAX_HEADER = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"
_HTTP_TYPES = ("response", "request", "revisit")


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


class _Digest:
    """Checks one `algorithm:value` digest header against the bytes fed to it."""

    def __init__(self, expected: str | None) -> None:
        self.expected = expected
        self.hasher = None
        if expected and ":" in expected:
            algorithm = expected.split(":", 1)[0].strip().lower().replace("-", "")
            try:
                self.hasher = hashlib.new(algorithm)
            except ValueError:
                self.hasher = None

    def update(self, data: bytes) -> None:
        if self.hasher is not None:
            self.hasher.update(data)

    def ok(self) -> bool | None:
        if self.hasher is None or self.expected is None:
            return None
        value = self.expected.split(":", 1)[1].strip()
        digest = self.hasher.digest()
        if len(value) == 2 * len(digest):
            return value.lower() == digest.hex()
        return value.upper().rstrip("=") == base64.b32encode(digest).decode().rstrip("=")


class _Record:
    """Incremental parse of one decompressed record: headers, then the block (and payload)."""

    def __init__(self, deep: bool) -> None:
        self.deep = deep
        self.head = b""
        self.headers: dict[str, str] | None = None
        self.block_seen = 0
        self.block_length = 0
        self.block: _Digest | None = None
        self.payload: _Digest | None = None
        self.http_head: bytes | None = None

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
        self._block(data)
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
        if self.deep:
            self.block = _Digest(self.headers.get("warc-block-digest"))
            content_type = self.headers.get("content-type", "")
            kind = self.headers.get("warc-type")
            if (
                kind in _HTTP_TYPES
                and kind != "revisit"
                and content_type.startswith("application/http")
            ):
                self.payload = _Digest(self.headers.get("warc-payload-digest"))
                self.http_head = b""
        return None

    def _block(self, data: bytes) -> None:
        room = max(0, self.block_length - self.block_seen)
        inside = data[:room]
        self.block_seen += len(data)
        if not self.deep or not inside:
            return
        assert self.block is not None
        self.block.update(inside)
        if self.payload is None:
            return
        if self.http_head is not None:
            self.http_head += inside
            end = self.http_head.find(b"\r\n\r\n")
            if end < 0:
                return
            inside, self.http_head = self.http_head[end + 4 :], None
        self.payload.update(inside)

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
        if self.block is not None:
            member.block_digest_ok = self.block.ok()
        if self.payload is not None:
            member.payload_digest_ok = None if self.http_head is not None else self.payload.ok()


def read_member(stream: BinaryIO, offset: int, *, deep: bool = False) -> Member:
    """Decode the gzip member at offset (length 0 and an error if none starts there)."""
    stream.seek(offset)
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    record = _Record(deep)
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


def scan(path: str | os.PathLike[str], *, deep: bool = False) -> Iterator[Member]:
    """Every member of a file in order; a damaged stretch is one Member with an error."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        offset = 0
        while offset < size:
            member = read_member(stream, offset, deep=deep)
            if member.length == 0:  # undecodable: skip to where valid records resume
                member.length = resync(stream, offset + 1, size) - offset
            yield member
            offset += member.length
