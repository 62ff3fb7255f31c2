"""Response type and the small HTTP/date helpers shared by the demo hub's page modules.

Kept apart from ``site.py`` so that the page modules can use them without an import cycle.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

#: The site's wall-clock zone: Asia/Tehran, which has kept +03:30 all year since 2022.
SITE_TZ = timezone(timedelta(hours=3, minutes=30))
COMPRESSIBLE = (
    "text/html",
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
)
HTML_UTF8 = "text/html; charset=UTF-8"


@dataclass(frozen=True)
class DemoResponse:
    """What the server sends. Framing headers (Content-Length, Transfer-Encoding) are the
    server's job; everything else, Content-Encoding included, is here."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    chunked: bool = False

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitively (None if absent)."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


def finish(resp: DemoResponse, accept_gzip: bool) -> DemoResponse:
    """Add ``Vary`` to compressible responses and gzip them when the client accepts it.

    ``mtime=0`` keeps gzipped bytes reproducible."""
    ctype = resp.header("Content-Type") or ""
    if not ctype.startswith(COMPRESSIBLE) or not resp.body:
        return resp
    headers = [*resp.headers, ("Vary", "Accept-Encoding")]
    if not accept_gzip:
        return DemoResponse(resp.status, headers, resp.body, resp.chunked)
    headers.append(("Content-Encoding", "gzip"))
    return DemoResponse(resp.status, headers, gzip.compress(resp.body, 6, mtime=0), resp.chunked)


def html(
    status: int,
    text: str,
    *,
    headers: list[tuple[str, str]] | None = None,
    charset: str = "utf-8",
    content_type: str = HTML_UTF8,
    chunked: bool = False,
) -> DemoResponse:
    """An HTML response; ``text`` is encoded in ``charset`` (unencodable chars as references)."""
    body = text.encode(charset, "xmlcharrefreplace")
    return DemoResponse(status, [("Content-Type", content_type), *(headers or [])], body, chunked)


def redirect(location: str, status: int = 301) -> DemoResponse:
    """A WordPress-like redirect with a tiny body."""
    return DemoResponse(status, [("Content-Type", HTML_UTF8), ("Location", location)], b"")


def http_date(dt: datetime) -> str:
    """RFC 9110 date for Last-Modified."""
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def local(dt: datetime) -> datetime:
    """The site's wall-clock time for a UTC instant."""
    return dt.astimezone(SITE_TZ)


def iso_local(dt: datetime) -> str:
    """ISO 8601 with the site's offset, e.g. ``2026-05-10T14:35:00+03:30``."""
    return local(dt).isoformat()


def e(text: str) -> str:
    """HTML-escape text and attribute values."""
    return escape(text, quote=True)


def month_day_year(dt: datetime) -> str:
    """``May 10, 2026`` in the site's zone."""
    d = local(dt)
    return f"{d:%B} {d.day}, {d.year}"


def date_jnews(dt: datetime) -> str:
    """``June 18, 2024 - 14:35`` (site zone)."""
    return f"{month_day_year(dt)} - {local(dt):%H:%M}"


def date_tagdiv(dt: datetime) -> str:
    """``18 June 2024 - 14:35`` (site zone)."""
    d = local(dt)
    return f"{d.day} {d:%B %Y - %H:%M}"


def date_generatepress(dt: datetime) -> str:
    """``June 18, 2024 at 2:35 pm`` (site zone)."""
    d = local(dt)
    return f"{month_day_year(dt)} at {d.hour % 12 or 12}:{d:%M} {'am' if d.hour < 12 else 'pm'}"
