"""The archive the web interface tests read: real WARCs and rows, made by sample_archive.

Two sources; 26 articles on `hub` (so results have two pages), a Persian article, one article
edited between two crawls (two versions), an article whose title and body are XSS payloads,
and an article page with an image archived next to it (for replay).
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from tests.newshub_archive.sample_archive import T0, Page, archive, archive_files

XSS_TITLE = "Breaking <script>window.__xss = 'title'</script> news"
XSS_BODY = "Payload <img src=x onerror=\"window.__xss = 'body'\"> here.\nSecond line."
XSS_LINKS = ["javascript:window.__xss = 'link'", "http://hub.test/elsewhere/"]
EDITED_BEFORE = "The council approved the water supply budget on Monday.\nIt takes effect in June."
EDITED_AFTER = "The council rejected the water supply budget on Tuesday.\nIt takes effect in June."
PERSIAN_TITLE = "گزارش بودجه آب"
PERSIAN_BODY = "شورای شهر بودجه تامین آب را تصویب کرد."
IMAGE_WIDTH, IMAGE_HEIGHT = 240, 120


def png(width: int, height: int) -> bytes:
    """A PNG of a blue-to-orange gradient: the image the replayed article shows."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"".join(bytes((30 + x * 200 // width, 90, 200 - x * 150 // width)) for x in range(width))
    pixels = zlib.compress(b"".join(b"\0" + row for _ in range(height)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


IMAGE_URL = "http://hub.test/wp-content/uploads/red.png"


def filler(n: int) -> Page:
    category = ("Politics", "Economy", "Sport")[n % 3]
    return Page(
        f"story-{n}",
        f"Story number {n} about the harbour",
        f"Harbour report {n}. Ships arrived and the harbour master spoke.",
        published_at=T0 - timedelta(days=n),
        category=category,
        agency="IRNA" if n % 2 else "ISNA",
    )


def build(engine: Engine, warc_dir: Path) -> dict[str, str]:
    """Archive everything; returns {name: url} of the articles tests look for."""
    edited = Page("budget-vote", "Budget vote", EDITED_BEFORE, category="Economy")
    pages = [filler(n) for n in range(22)]
    pages += [
        Page(
            "with-image",
            "Harbour photo of the day",
            "A photo of the harbour at dawn.",
            requisites=(IMAGE_URL,),
            category="Culture",
        ),
        Page("xss", XSS_TITLE, XSS_BODY, category="Society", extra={"links": XSS_LINKS}),
        Page("persian", PERSIAN_TITLE, PERSIAN_BODY, extra={"language": "fa"}, agency="IRNA"),
        Page("gazette-1", "Gazette harbour notes", "Harbour notes from the gazette.",
             source="gazette", category="World", agency=None),
    ]  # fmt: skip
    archive(engine, warc_dir, [edited, *pages])
    archive_files(
        engine, warc_dir, "hub", {IMAGE_URL: ("image/png", png(IMAGE_WIDTH, IMAGE_HEIGHT))}
    )
    edited.body = EDITED_AFTER
    archive(engine, warc_dir, [edited], fetched_at=T0 + timedelta(days=1))
    return {
        "edited": edited.url(),
        "image": pages[22].url(),
        "xss": pages[23].url(),
        "persian": pages[24].url(),
    }
