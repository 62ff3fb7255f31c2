"""Per-site overrides read from a source's TOML table.

A hub whose theme the generic rules miss gets selectors instead of code:
``{"title": "css:h1.entry-title", "body": "css:.entry-content", "date": "xpath://time/@datetime"}``.
Selectors are validated when the table is loaded so a typo fails at config time, not mid-crawl.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import timedelta, timezone, tzinfo
from typing import Any

from cssselect import SelectorError
from lxml import etree

from .dom import css, xpath

SELECTOR_FIELDS = (
    "title", "lead", "body", "date", "modified", "author", "category", "tags", "agency",
    "image", "remove",
)  # fmt: skip
_ALIASES = {
    "published": "date", "published_at": "date", "modified_at": "modified", "content": "body",
    "tag": "tags", "section": "category", "byline": "author", "drop": "remove",
}  # fmt: skip
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d\d))?$", re.I)


def check_selector(spec: str) -> str:
    """Compile a "css:…"/"xpath:…" (or bare CSS) selector; ValueError says what is wrong."""
    spec = spec.strip()
    kind, sep, expr = spec.partition(":")
    if not sep or kind not in ("css", "xpath"):
        kind, expr = "css", spec
    expr = expr.strip()
    if not expr:
        raise ValueError(f"empty {kind} selector {spec!r}")
    try:
        if kind == "xpath":
            xpath(expr)
        else:
            css(expr)
    except (SelectorError, etree.XPathError, ValueError, TypeError) as exc:
        raise ValueError(f"bad {kind} selector {expr!r}: {exc}") from None
    return f"{kind}:{expr}"


def parse_timezone(value: str) -> tzinfo:
    """ "+03:30", "UTC+3:30" or an IANA name ("Asia/Tehran")."""
    match = _OFFSET.match(value.strip())
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            raise ValueError(f"timezone offset out of range: {value!r}")
        return timezone(-delta if sign == "-" else delta)
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(value.strip())
    except Exception:
        raise ValueError(f"unknown timezone {value!r} (use +03:30 or an IANA name)") from None


@dataclasses.dataclass(frozen=True)
class SiteRules:
    """Selector overrides for one source; every selector field holds normalized specs."""

    title: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    agency: tuple[str, ...] = ()
    image: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    timezone: str | None = None  # for naive visible times, e.g. "Asia/Tehran" or "+03:30"
    language: str | None = None  # forced language when the site declares a wrong one

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> SiteRules:
        """Validate a TOML table; raises ValueError with a one-line message on any problem."""
        if not isinstance(mapping, Mapping):
            raise ValueError(f"site rules must be a table, not {type(mapping).__name__}")
        values: dict[str, Any] = {}
        for raw_key, value in mapping.items():
            key = _ALIASES.get(str(raw_key), str(raw_key))
            if key in ("timezone", "language"):
                if not isinstance(value, str) or not value.strip():
                    raise ValueError(f"site rules: {raw_key} must be a non-empty string")
                if key == "timezone":
                    parse_timezone(value)
                values[key] = value.strip()
                continue
            if key not in SELECTOR_FIELDS:
                known = ", ".join((*SELECTOR_FIELDS, "timezone", "language"))
                raise ValueError(f"site rules: unknown key {raw_key!r} (known: {known})")
            specs = [value] if isinstance(value, str) else value
            if not isinstance(specs, list | tuple) or not all(isinstance(s, str) for s in specs):
                raise ValueError(f"site rules: {raw_key} must be a selector string or a list")
            try:
                values[key] = tuple(check_selector(s) for s in specs)
            except ValueError as exc:
                raise ValueError(f"site rules: {raw_key}: {exc}") from None
        return cls(**values)

    def tz(self) -> tzinfo | None:
        """The configured site timezone, if any."""
        return parse_timezone(self.timezone) if self.timezone else None
