"""WARC file names and the locked, append-only file a writer fills.

A file is written as ``NAME.open`` under an exclusive ``flock`` and renamed to ``NAME`` on close,
so recovery can tell a live writer's file (locked) from a dead one's (unlocked).
"""

from __future__ import annotations

import fcntl
import os
import re
from datetime import UTC, datetime

OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name_part(text: str) -> str:
    """File-name-safe text: separators and shell-hostile characters become "_"."""
    return _UNSAFE.sub("_", text).strip("_") or "unknown"


def warc_filename(prefix: str, when: datetime, serial: int, hostname: str, pid: int) -> str:
    """``PREFIX-YYYYMMDDhhmmssmmm-SERIAL-HOST~PID.warc.gz``: sortable, unique per process."""
    when = when.astimezone(UTC)
    stamp = when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"
    host = safe_name_part(hostname)
    return f"{safe_name_part(prefix)}-{stamp}-{serial:05d}-{host}~{pid}{WARC_SUFFIX}"


def closed_name(open_name: str) -> str:
    return open_name.removesuffix(OPEN_SUFFIX)


class LockedFile:
    """An exclusively created, flock-ed ``NAME.open`` file that only grows by whole writes."""

    def __init__(self, directory: str, name: str) -> None:
        self.name = name
        self.path = os.path.join(directory, name)
        self.open_path = self.path + OPEN_SUFFIX
        self.size = 0
        self._fd = os.open(self.open_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            # Blocking: recovery may hold the lock for a moment on a file it thinks dead.
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            if not same_file(self._fd, self.open_path):
                # Recovery took the empty file away before we locked it.
                raise FileExistsError(self.open_path)
        except BaseException:
            os.close(self._fd)
            raise

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def append(self, data: bytes) -> int:
        """Write data at the end in one go and return its offset.

        On failure the file is cut back to its previous size, so it keeps only whole members.
        """
        offset = self.size
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except BaseException:
            os.ftruncate(self._fd, offset)
            os.lseek(self._fd, offset, os.SEEK_SET)
            raise
        self.size += len(data)
        return offset

    def close(self) -> None:
        """Sync, rename to the closed name, then release the lock (in that order)."""
        if self.closed:
            return
        fd, self._fd = self._fd, -1
        try:
            os.fsync(fd)
            os.rename(self.open_path, self.path)
            _sync_directory(os.path.dirname(self.path))
        finally:
            os.close(fd)

    def discard(self) -> None:
        """Remove a file that never got a complete warcinfo record."""
        if self.closed:
            return
        fd, self._fd = self._fd, -1
        try:
            os.unlink(self.open_path)
        finally:
            os.close(fd)


def same_file(fd: int, path: str) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _sync_directory(directory: str) -> None:
    """Make the rename durable; best effort where directories cannot be opened."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
