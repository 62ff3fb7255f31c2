"""Static files of the demo hub: the theme's stylesheet and script, and the featured image."""

from __future__ import annotations

import functools
import struct
import zlib

from crawler.demo.web import DemoResponse


@functools.cache
def png() -> bytes:
    """A valid 1x1 grey PNG, built here rather than shipped as a binary file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        raw = kind + data
        return struct.pack(">I", len(data)) + raw + struct.pack(">I", zlib.crc32(raw))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


ASSETS = {
    ".css": ("text/css", b"body{font-family:sans-serif;margin:0}.hub-ad{background:#eee}\n"),
    ".js": ("application/javascript", b"/* demo hub: no scripts needed */\n"),
}


def asset(path: str) -> DemoResponse | None:
    """Theme stylesheet and script files the pages reference (so page requisites resolve)."""
    for suffix, (ctype, body) in ASSETS.items():
        if path.endswith(suffix):
            return DemoResponse(
                200, [("Content-Type", ctype), ("Cache-Control", "max-age=86400")], body
            )
    return None


def image() -> DemoResponse:
    """Every featured image is the same tiny PNG."""
    return DemoResponse(
        200, [("Content-Type", "image/png"), ("Cache-Control", "max-age=31536000")], png()
    )
