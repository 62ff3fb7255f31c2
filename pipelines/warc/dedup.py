"""Deduplication across scheduled crawls: when to write a ``revisit`` instead of a response.

Policy (why it is safe to replay):

- The lookup key is the SHA-1 of the *decoded* payload (gzip/deflate undone) together with the
  Content-Encoding, e.g. ``gzip:sha1:ABC...``. Two gzip bodies that differ only in their gzip
  framing (mtime, compression level) share a key, so they are not missed as duplicates; a gzip
  and an identity copy of the same page never do, because pywb serves the revisit's headers with
  the original's payload, and an encoding mismatch would make it send garbage or hang.
- The stored records stay byte-faithful: a first copy is a full response, as received; a
  revisit keeps the HTTP headers as received and repeats the original's WARC-Payload-Digest.
- When the new response states a Content-Length, it must equal the original's payload length,
  since replay serves that header with the original's bytes.
- Only whole 200 responses of at least ``min_size`` bytes are deduplicated.

The index lives in the database (``captures.dedup_key``). A crawl loads the newest entries of
its source once, in a thread, at spider open (bounded by ``max_entries``), and adds what it
writes. Two processes crawling one source at once do not see each other's new entries: each
may store a payload in full that the other stored too. That costs space, never correctness: a
revisit only ever points at a record that was on disk when its row was written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from crawler import settings as defaults
from pipelines.db.models import Capture, SourceRow
from pipelines.warc.records import HttpExchange, RevisitTarget

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Decoded bytes handled per step, so a gzip bomb costs time, never memory.
_STEP = 1 << 20
_ALIASES = {"x-gzip": "gzip", "": "identity"}


def content_coding(headers: list[tuple[str, str]]) -> str:
    """The Content-Encoding of a response, normalized ("identity" when there is none)."""
    values = [value for name, value in headers if name.lower() == "content-encoding"]
    coding = ",".join(v.strip().lower() for v in values if v.strip())
    return _ALIASES.get(coding, coding)


def _decoded_sha1(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        wbits = [zlib.MAX_WBITS | 16]
    elif coding == "deflate":  # servers send zlib-wrapped or raw deflate
        wbits = [zlib.MAX_WBITS, -zlib.MAX_WBITS]
    else:
        wbits = []
    for bits in wbits:
        try:
            return _inflated_sha1(body, bits, several=coding == "gzip")
        except zlib.error:
            continue
    return hashlib.sha1(body).digest()  # identity, or undecodable: byte-identical copies only


def _inflated_sha1(data: bytes, wbits: int, several: bool) -> bytes:
    digest = hashlib.sha1()
    while data:
        inflater = zlib.decompressobj(wbits)
        chunk = inflater.decompress(data, _STEP)
        while chunk:
            digest.update(chunk)
            chunk = inflater.decompress(inflater.unconsumed_tail, _STEP)
        if not inflater.eof:
            raise zlib.error("truncated stream")
        data = inflater.unused_data if several else b""  # gzip may have several members
    return digest.digest()


def dedup_key(body: bytes, coding: str) -> str:
    """``CODING:sha1:BASE32`` of the decoded payload: the lookup key of an archived payload."""
    digest = base64.b32encode(_decoded_sha1(body, coding)).decode("ascii")
    return f"{coding}:sha1:{digest}"


class DigestIndex:
    """dedup_key -> the newest archived response with that payload; least recent drops first.

    Entries are kept packed, for an index holds a hub's every response: the key as the coding
    and the digest's 20 bytes, the entry as (URL, bytes of the date, size, record id and the
    payload digest when it is not the key's own), made a RevisitTarget again when looked up:
    about 235 bytes an entry besides its URL (330 as a tuple of objects, 620 as a
    RevisitTarget; tests/pipelines/warc/test_dedup.py measures it). An entry in another form
    (a record id that is not a urn:uuid, a digest that is not SHA-1, a date not in UTC) is kept
    as it came. The dict's insertion order is the recency order.
    """

    def __init__(self, max_entries: int = defaults.WARC_DEDUP_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[bytes | str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: str, original: RevisitTarget, size: int) -> None:
        """Remember an archived response of ``size`` payload bytes under ``key``."""
        packed_key = _packed_key(key)
        self._entries.pop(packed_key, None)
        self._entries[packed_key] = _pack(key, original, size)
        self._trim()

    def merge_older(self, older: DigestIndex) -> None:
        """Take in entries from earlier crawls; entries already here are newer and win."""
        merged = {key: entry for key, entry in older._entries.items() if key not in self._entries}
        merged.update(self._entries)
        self._entries = merged
        self._trim()

    def get(self, key: str) -> tuple[RevisitTarget, int] | None:
        packed_key = _packed_key(key)
        entry = self._entries.pop(packed_key, None)
        if entry is None:
            return None
        self._entries[packed_key] = entry  # the most recently used now
        return _unpack(key, entry)

    def _trim(self) -> None:
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]


# (URL, date in microseconds since the epoch in UTC + size + UUID bytes of the record id +
# the payload digest's 20 bytes unless it is the key's own), or any entry as it came:
# (URL, date, record id, payload digest, size).
_Entry = tuple[str, bytes] | tuple[str, datetime, str, str, int]
_FIXED = struct.Struct(">qQ16s")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_URN = re.compile(r"<urn:uuid:([0-9a-f-]{36})>")


def _sha1_bytes(digest: str) -> bytes | None:
    """The 20 bytes of a ``sha1:BASE32`` digest; None for any other form."""
    if len(digest) != 37 or not digest.startswith("sha1:"):
        return None
    try:
        raw = base64.b32decode(digest[5:])
    except binascii.Error:
        return None
    return raw if base64.b32encode(raw).decode("ascii") == digest[5:] else None


def _packed_key(key: str) -> bytes | str:
    coding, _, digest = key.partition(":")
    raw = _sha1_bytes(digest)
    return key if raw is None or not coding.isascii() else coding.encode("ascii") + b":" + raw


def _pack(key: str, original: RevisitTarget, size: int) -> _Entry:
    urn = _URN.fullmatch(original.record_id)
    own = key.endswith(":" + original.payload_digest)
    digest = b"" if own else _sha1_bytes(original.payload_digest)
    if urn is None or digest is None or original.date.tzinfo is not UTC or not 0 <= size < 2**64:
        return (original.url, original.date, original.record_id, original.payload_digest, size)
    micros = (original.date - _EPOCH) // timedelta(microseconds=1)
    return original.url, _FIXED.pack(micros, size, uuid.UUID(urn[1]).bytes) + digest


def _unpack(key: str, entry: _Entry) -> tuple[RevisitTarget, int]:
    if len(entry) == 5:
        url, date, record_id, digest, size = entry
        return RevisitTarget(url, date, record_id, digest), size
    url, packed = entry
    micros, size, record = _FIXED.unpack_from(packed)
    raw = packed[_FIXED.size :]
    digest = f"sha1:{base64.b32encode(raw).decode('ascii')}" if raw else key.split(":", 1)[1]
    date = _EPOCH + timedelta(microseconds=micros)
    return RevisitTarget(url, date, f"<urn:uuid:{uuid.UUID(bytes=record)}>", digest), size


def eligible(exchange: HttpExchange, min_size: int) -> bool:
    """Whether a response may be deduplicated at all (and so may serve as an original)."""
    return (
        exchange.status == 200 and not exchange.truncated and len(exchange.body) >= max(min_size, 1)
    )


def revisit_target(index: DigestIndex, exchange: HttpExchange, key: str) -> RevisitTarget | None:
    """The original to point a revisit at, or None when the response must be stored in full."""
    entry = index.get(key)
    if entry is None:
        return None
    original, size = entry
    lengths = [v for name, v in exchange.response_headers if name.lower() == "content-length"]
    if any(value.strip() != str(size) for value in lengths):
        return None  # replay would serve this length with the original's bytes
    return original


def load_digest_index(
    engine: Engine, source: int | str, max_entries: int = defaults.WARC_DEDUP_MAX_ENTRIES
) -> DigestIndex:
    """The newest ``max_entries`` archived responses of a source (by id or name). Blocking."""
    index = DigestIndex(max_entries)
    table = Capture.__table__
    columns = (
        table.c.dedup_key,
        table.c.url,
        table.c.fetched_at,
        table.c.warc_record_id,
        table.c.payload_digest,
        table.c.size,
    )
    with engine.connect() as connection:
        if isinstance(source, str):
            sources = SourceRow.__table__
            found = connection.execute(
                select(sources.c.id).where(sources.c.name == source)
            ).scalar()
            if found is None:
                return index
            source = int(found)
        query = (
            select(*columns)
            .where(
                table.c.source_id == source,
                table.c.record_type == "response",
                table.c.dedup_key.is_not(None),
            )
            .order_by(table.c.fetched_at.desc(), table.c.id.desc())
            .limit(max_entries)
        )
        rows = connection.execute(query).all()
    for key, url, fetched_at, record_id, payload_digest, size in reversed(rows):
        index.add(key, RevisitTarget(url, fetched_at, record_id, payload_digest), size)
    return index
