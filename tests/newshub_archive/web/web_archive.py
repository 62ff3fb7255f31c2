"""The archive the web interface tests read: real WARCs and rows, made by sample_archive.

Two sources; 26 articles on `hub` (so results have two pages), a Persian article, one article
edited between two crawls (two versions), an article whose title and body are XSS payloads,
and an article page with an image archived next to it (for replay).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from tests.newshub_archive.sample_archive import T0, Page, archive, archive_files

XSS_TITLE = "Breaking <script>window.__xss = 'title'</script> news"
XSS_BODY = "Payload <img src=x onerror=\"window.__xss = 'body'\"> here.\nSecond line."
EDITED_BEFORE = "The council approved the water supply budget on Monday.\nIt takes effect in June."
EDITED_AFTER = "The council rejected the water supply budget on Tuesday.\nIt takes effect in June."
PERSIAN_TITLE = "گزارش بودجه آب"
PERSIAN_BODY = "شورای شهر بودجه تامین آب را تصویب کرد."
# A PNG of one red pixel: the image the replayed article shows.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
    "53de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
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
        Page("xss", XSS_TITLE, XSS_BODY, category="Society"),
        Page("persian", PERSIAN_TITLE, PERSIAN_BODY, extra={"language": "fa"}, agency="IRNA"),
        Page("gazette-1", "Gazette harbour notes", "Harbour notes from the gazette.",
             source="gazette", category="World", agency=None),
    ]  # fmt: skip
    archive(engine, warc_dir, [edited, *pages])
    archive_files(engine, warc_dir, "hub", {IMAGE_URL: ("image/png", PIXEL)})
    edited.body = EDITED_AFTER
    archive(engine, warc_dir, [edited], fetched_at=T0 + timedelta(days=1))
    return {
        "edited": edited.url(),
        "image": pages[22].url(),
        "xss": pages[23].url(),
        "persian": pages[24].url(),
    }
