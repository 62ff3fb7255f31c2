"""The WARC storage layer: HTTP exchanges in, rotating WARC/1.1 files out. No Scrapy here.

Every record is its own gzip member, written with one ``write`` so offsets are exact and a crash
can only tear the last member; ``recover`` (in ``pipelines.warc.recover``) trims that.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from crawler import __version__
from crawler import settings as defaults
from pipelines.warc.files import LockedFile, warc_filename
from pipelines.warc.records import (
    WARC_CONFORMS_TO,
    WARC_FORMAT,
    ArchivedRecord,
    HttpExchange,
    RecordBuilder,
    RevisitTarget,
    gzip_member,
)

# How many names to try when another writer of this process already took one.
_NAME_ATTEMPTS = 100


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _software() -> str:
    try:
        warcio_version = version("warcio")
    except PackageNotFoundError:  # pragma: no cover - warcio is a hard dependency
        warcio_version = "unknown"
    return f"newshub/{__version__} warcio/{warcio_version}"


class WarcWriter:
    """Appends HTTP exchanges to ``PREFIX-...warc.gz`` files in directory, rotating at max_size.

    clock (aware UTC datetimes), id_factory (UUIDs) and pid exist so tests can pin every byte.
    Not thread-safe: one writer per crawl, called from the reactor thread.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        prefix: str,
        *,
        max_size: int = defaults.WARC_MAX_SIZE,
        compress_level: int = defaults.WARC_COMPRESS_LEVEL,
        warcinfo: dict[str, str] | None = None,
        hostname: str | None = None,
        clock: Callable[[], datetime] | None = None,
        id_factory: Callable[[], uuid.UUID] | None = None,
        pid: int | None = None,
    ) -> None:
        if not 0 <= compress_level <= 9:
            raise ValueError(f"compress_level must be 0-9, not {compress_level}")
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, not {max_size}")
        self.directory = os.fspath(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.compress_level = compress_level
        self.warcinfo = dict(warcinfo or {})
        self.hostname = hostname or socket.gethostname()
        self.clock = clock or _utcnow
        self.id_factory = id_factory or uuid.uuid4
        self.pid = os.getpid() if pid is None else pid
        # Every file name this writer produced, as named once closed.
        self.files: list[str] = []
        self.bytes_written = 0
        self.records_written = 0
        self._serial = 0
        self._file: LockedFile | None = None
        self._warcinfo_id = ""
        self._builder = RecordBuilder()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write_exchange(self, exchange: HttpExchange) -> ArchivedRecord:
        """Write the response, request and metadata records of one exchange, in one write."""
        return self._write(exchange, None)

    def write_revisit(self, exchange: HttpExchange, original: RevisitTarget) -> ArchivedRecord:
        """Like write_exchange, with a payload-less revisit record of original for the response."""
        return self._write(exchange, original)

    def _write(self, exchange: HttpExchange, revisit_of: RevisitTarget | None) -> ArchivedRecord:
        file = self._file or self._open_file()
        warcinfo_id = self._warcinfo_id
        response_id = self._new_id()
        if revisit_of is None:
            response = self._builder.response(exchange, response_id, warcinfo_id)
        else:
            response = self._builder.revisit(exchange, response_id, warcinfo_id, revisit_of)
        request = self._builder.request(exchange, self._new_id(), warcinfo_id, response_id)
        metadata = self._builder.metadata(exchange, self._new_id(), warcinfo_id, response_id)
        built = [response, request] if metadata is None else [response, request, metadata]
        members = [gzip_member(record.data, self.compress_level) for record in built]
        data = b"".join(members)
        offset = file.append(data)
        self.bytes_written += len(data)
        self.records_written += len(members)
        headers = response.headers
        archived = ArchivedRecord(
            warc_file=file.name,
            offset=offset,
            length=len(members[0]),
            record_id=response_id,
            record_type="response" if revisit_of is None else "revisit",
            payload_digest=headers.get_header("WARC-Payload-Digest"),
            block_digest=headers.get_header("WARC-Block-Digest"),
            target_uri=exchange.url,
            date=exchange.fetched_at.astimezone(UTC),
        )
        if file.size >= self.max_size:
            self._close_file()
        return archived

    def close(self) -> None:
        """Close the current file (renaming it from ``.open``); safe to call twice.

        A later write_exchange starts a new file.
        """
        self._close_file()

    def _new_id(self) -> str:
        return f"<urn:uuid:{self.id_factory()}>"

    def _open_file(self) -> LockedFile:
        os.makedirs(self.directory, exist_ok=True)
        for _ in range(_NAME_ATTEMPTS):
            now = self.clock()
            name = warc_filename(self.prefix, now, self._serial, self.hostname, self.pid)
            self._serial += 1
            try:
                file = LockedFile(self.directory, name)
            except FileExistsError:
                continue
            break
        else:
            raise FileExistsError(f"no free WARC file name for {self.prefix!r} after retries")
        try:
            self._warcinfo_id = self._new_id()
            info = self._builder.warcinfo(name, self._warcinfo_fields(), self._warcinfo_id, now)
            data = gzip_member(info.data, self.compress_level)
            file.append(data)
        except BaseException:
            file.discard()
            raise
        self.bytes_written += len(data)
        self.records_written += 1
        self.files.append(name)
        self._file = file
        return file

    def _warcinfo_fields(self) -> list[tuple[str, str]]:
        fields = {
            "software": _software(),
            "format": WARC_FORMAT,
            "conformsTo": WARC_CONFORMS_TO,
            "hostname": self.hostname,
            "isPartOf": self.prefix,
            "robots": "obey",
        }
        fields.update(self.warcinfo)
        return list(fields.items())

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()
