"""Sorted CDXJ indexes of WARC files, for pywb, ReplayWeb.page and WACZ packages.

Lines come from ``cdxj-indexer``, the indexer pywb and py-wacz use, so URL keys (SURT) are
canonicalized exactly as the replay tools look them up. Replay binary-searches the index, so
lines are sorted bytewise (Python's code-point order of the ASCII/UTF-8 lines is the same);
sorting spills to temporary files past a memory cap, so memory stays flat on any archive.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from cdxj_indexer import CDXJIndexer

from pipelines.warc.files import WARC_SUFFIX, safe_name_part

# Lines held in memory while sorting before they spill to a temporary file (characters).
SORT_BUFFER = 32 * 1024 * 1024


class _Counter:
    """A text sink that counts the lines written through it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


def warc_files(directory: str | os.PathLike[str], source: str | None = None) -> list[Path]:
    """Closed WARC files in directory (never ``.open`` ones), oldest first by name.

    With source, only files whose prefix is that source's name.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    pattern = None
    if source is not None:
        pattern = re.compile(rf"^{re.escape(safe_name_part(source))}-\d{{17}}-\d{{5}}-")
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.endswith((WARC_SUFFIX, ".warc"))
        and path.is_file()
        and (pattern is None or pattern.match(path.name))
    )


def write_index(warcs: Iterable[str | os.PathLike[str]], out: TextIO) -> int:
    """Write the sorted CDXJ lines of every record of warcs to out; returns the line count.

    Each line names its WARC by file name only, as pywb's and WACZ's ``archive/`` expect.
    """
    counter = _Counter(out)
    inputs = [os.fspath(path) for path in warcs]
    if inputs:
        indexer = CDXJIndexer(counter, inputs, sort=True, max_sort_buff_size=SORT_BUFFER)
        indexer.process_all()
    return counter.lines


def write_index_file(warcs: Iterable[str | os.PathLike[str]], path: str | os.PathLike[str]) -> int:
    """write_index to path, atomically: readers see the old index or the whole new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            lines = write_index(warcs, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return lines
