"""Reading one archived record back, by the offset a capture row stores."""

from __future__ import annotations

from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord


def record_at(stream: BinaryIO, offset: int) -> ArcWarcRecord | None:
    """The WARC record whose gzip member starts at offset (None past the end of the file).

    Read its content before the stream is used again: the record reads from it lazily."""
    stream.seek(offset)
    return next(iter(ArchiveIterator(stream)), None)
