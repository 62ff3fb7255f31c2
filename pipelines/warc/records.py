"""WARC/1.1 records built with warcio, one uncompressed record per call, plus the gzip member.

Kept apart from file handling so that the bytes of a record can be tested (and golden-filed)
without touching disk.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

WARC_VERSION = "WARC/1.1"
WARC_FORMAT = "WARC File Format 1.1"
WARC_CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"

# Hop-by-hop framing the body no longer has once Twisted de-chunked it.
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding"})


@dataclass
class HttpExchange:
    """One fetch as seen on the wire.

    Header values are ``str``; callers holding bytes decode them as latin-1 so every byte
    round-trips into the record unchanged.
    """

    url: str
    method: str
    # As sent, including Host.
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str
    status: int
    reason: str
    # As received; repeated names stay separate entries, in order.
    response_headers: list[tuple[str, str]]
    # As received: still Content-Encoded (gzip stays gzip), transfer coding removed.
    body: bytes
    ip_address: str | None
    # Aware datetime, converted to UTC for WARC-Date.
    fetched_at: datetime
    # Seconds from sending the request to receiving the response headers.
    duration: float | None
    # Referrer URL.
    via: str | None = None
    # Heritrix-style hop path from the seed, e.g. "LLX".
    hops: str | None = None
    outlinks: list[str] = field(default_factory=list)
    # WARC-Truncated reason ("length", "time", "disconnect", "unspecified") for partial bodies.
    truncated: str | None = None


@dataclass(frozen=True)
class RevisitTarget:
    """The archived response a revisit record points at instead of repeating its payload."""

    url: str
    date: datetime
    record_id: str
    # WARC-Payload-Digest of the original; the revisit repeats it (identical-payload-digest).
    payload_digest: str


@dataclass(frozen=True)
class ArchivedRecord:
    """Where a response landed: enough to index it (CDX) and to cite it from the database."""

    # File name without the ".open" suffix, i.e. the name it has once closed.
    warc_file: str
    # Of the gzip member holding the response record.
    offset: int
    length: int
    record_id: str
    record_type: str
    payload_digest: str
    block_digest: str
    target_uri: str
    date: datetime

    def capture(self, *, status: int, content_type: str | None, size: int) -> dict[str, Any]:
        """The `captures` row of this record, as the capture_archived signal carries it."""
        return {
            "url": self.target_uri,
            "status": status,
            "content_type": content_type,
            "fetched_at": self.date,
            "payload_digest": self.payload_digest,
            "warc_file": self.warc_file,
            "warc_offset": self.offset,
            "warc_length": self.length,
            "warc_record_id": self.record_id,
            "record_type": self.record_type,
            "size": size,
        }


class BuiltRecord(NamedTuple):
    """An uncompressed record and its WARC headers (to read back ids and digests)."""

    data: bytes
    headers: StatusAndHeaders


class _WireHeaders(StatusAndHeaders):
    """HTTP headers serialized as latin-1, so bytes decoded as latin-1 go back unchanged.

    warcio would %-encode any non-ASCII value, which changes what the server sent.
    """

    def to_ascii_bytes(self, filter_func=None):
        try:
            return self.to_str(filter_func).encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:  # a caller passed real text: fall back to warcio's rule
            return super().to_ascii_bytes(filter_func)


def warc_date(when: datetime) -> str:
    """WARC-Date in UTC, with microseconds when there are any (WARC/1.1 allows them)."""
    if when.tzinfo is None:
        raise ValueError("WARC dates need an aware datetime")
    naive = when.astimezone(UTC).replace(tzinfo=None)
    return datetime_to_iso_date(naive, use_micros=True)


def gzip_member(data: bytes, level: int) -> bytes:
    """One complete gzip member, so each record can be read (and recovered) on its own."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def request_target(url: str) -> str:
    """The request line's target: path and query, no fragment (what Twisted sends)."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


def host_header(url: str) -> str:
    """The Host value an HTTP client sends for url: no userinfo, no default port."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    default = {"http": ":80", "https": ":443"}.get(parts.scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return host


def _clean(value: str) -> str:
    """No CR/LF inside a header value: one would split the record's header block."""
    return value.replace("\r", " ").replace("\n", " ")


def _lines(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(_clean(name), _clean(value)) for name, value in pairs]


def _response_http(exchange: HttpExchange) -> _WireHeaders:
    """The response's status line and headers as received, minus de-chunked framing."""
    kept = [
        pair
        for pair in exchange.response_headers
        if pair[0].lower() not in DROPPED_RESPONSE_HEADERS
    ]
    statusline = f"{exchange.status} {exchange.reason}"
    return _WireHeaders(statusline, _lines(kept), protocol=exchange.protocol)


def warc_fields(fields: list[tuple[str, str]]) -> bytes:
    """An application/warc-fields block; empty values are left out."""
    return b"".join(f"{name}: {_clean(str(value))}\r\n".encode() for name, value in fields if value)


class RecordBuilder:
    """Serializes warcinfo, response, request and metadata records with warcio, uncompressed."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version=WARC_VERSION)

    def _build(
        self,
        record_type: str,
        warc_headers: list[tuple[str, str]],
        payload: bytes,
        http_headers: StatusAndHeaders | None = None,
    ) -> BuiltRecord:
        headers = StatusAndHeaders("", warc_headers, protocol=WARC_VERSION)
        record = self._writer.create_warc_record(
            "",
            record_type,
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_headers=headers,
            http_headers=http_headers,
        )
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        return BuiltRecord(self._buffer.getvalue(), record.rec_headers)

    def warcinfo(
        self, filename: str, fields: list[tuple[str, str]], record_id: str, date: datetime
    ) -> BuiltRecord:
        headers = [
            ("WARC-Type", "warcinfo"),
            ("WARC-Record-ID", record_id),
            ("WARC-Date", warc_date(date)),
            ("WARC-Filename", filename),
        ]
        return self._build("warcinfo", headers, warc_fields(fields))

    def response(self, exchange: HttpExchange, record_id: str, warcinfo_id: str) -> BuiltRecord:
        headers = self._common("response", exchange, record_id, warcinfo_id)
        if exchange.ip_address:
            headers.insert(4, ("WARC-IP-Address", exchange.ip_address))
        if exchange.truncated:
            headers.append(("WARC-Truncated", exchange.truncated))
        return self._build("response", headers, exchange.body, _response_http(exchange))

    def revisit(
        self, exchange: HttpExchange, record_id: str, warcinfo_id: str, original: RevisitTarget
    ) -> BuiltRecord:
        """A response whose payload is already archived: HTTP headers as received, no payload."""
        headers = self._common("revisit", exchange, record_id, warcinfo_id)
        if exchange.ip_address:
            headers.insert(4, ("WARC-IP-Address", exchange.ip_address))
        headers += [
            ("WARC-Profile", REVISIT_PROFILE),
            ("WARC-Refers-To", original.record_id),
            ("WARC-Refers-To-Target-URI", original.url),
            ("WARC-Refers-To-Date", warc_date(original.date)),
            ("WARC-Payload-Digest", original.payload_digest),
        ]
        return self._build("revisit", headers, b"", _response_http(exchange))

    def request(
        self, exchange: HttpExchange, record_id: str, warcinfo_id: str, response_id: str
    ) -> BuiltRecord:
        headers = self._common("request", exchange, record_id, warcinfo_id)
        headers.append(("WARC-Concurrent-To", response_id))
        statusline = f"{request_target(exchange.url)} HTTP/1.1"
        http = _WireHeaders(statusline, _lines(exchange.request_headers), protocol=exchange.method)
        return self._build("request", headers, exchange.request_body, http)

    def metadata(
        self, exchange: HttpExchange, record_id: str, warcinfo_id: str, response_id: str
    ) -> BuiltRecord | None:
        """Heritrix-style crawl facts; None when there is nothing to say."""
        fields = [("via", exchange.via or ""), ("hopsFromSeed", exchange.hops or "")]
        if exchange.duration is not None:
            fields.append(("fetchTimeMs", str(round(exchange.duration * 1000))))
        fields += [("outlink", link) for link in exchange.outlinks]
        payload = warc_fields(fields)
        if not payload:
            return None
        headers = self._common("metadata", exchange, record_id, warcinfo_id)
        headers.append(("WARC-Concurrent-To", response_id))
        return self._build("metadata", headers, payload)

    @staticmethod
    def _common(
        record_type: str, exchange: HttpExchange, record_id: str, warcinfo_id: str
    ) -> list[tuple[str, str]]:
        return [
            ("WARC-Type", record_type),
            ("WARC-Record-ID", record_id),
            ("WARC-Date", warc_date(exchange.fetched_at)),
            ("WARC-Target-URI", exchange.url),
            ("WARC-Warcinfo-ID", warcinfo_id),
        ]
