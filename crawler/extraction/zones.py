"""The site's time zone for naive times: stated offsets in the page source, or a fixed zone."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone, tzinfo

# ISO times ("T14:35+03:30", "14:35:00+0330"); the sign comes first so the scan rejects most
# positions on one character test. Time ranges ("10:00-12:00") do not match.
_ISO_OFFSET = re.compile(
    r"([+-])(?:(?<=:\d\d:\d\d[+-])|(?<=T\d\d:\d\d[+-])|(?<=\.\d\d\d[+-]))(\d\d:?\d\d)\b"
)
_NAMED_OFFSET = re.compile(r"(?:GMT|UTC)\s?([+-]\d{1,2}(?::?\d\d)?)\b")


def site_offset(text: str) -> timezone | None:
    """The most common UTC offset stated anywhere in the page's source."""
    offsets: Counter[str] = Counter()
    found = [m[1] + m[2] for m in _ISO_OFFSET.finditer(text, 0, 2_000_000)]
    found += [m[1] for m in _NAMED_OFFSET.finditer(text, 0, 2_000_000)]
    for raw in found:
        raw = raw.replace(":", "")
        sign, digits = raw[0], raw[1:]
        digits = digits.zfill(2) if len(digits) <= 2 else digits.zfill(4)
        offsets[sign + (digits + "00")[:4]] += 1
    if not offsets:
        return None
    raw = offsets.most_common(1)[0][0]
    minutes = int(raw[1:3]) * 60 + int(raw[3:5])
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if raw[0] == "-" else minutes))


class SiteZone:
    """The site's zone for naive times, looked up in the page source only when first needed."""

    def __init__(self, page_text: str, fixed: tzinfo | None = None) -> None:
        self._text = page_text
        self._zone = fixed
        self._known = fixed is not None

    def get(self) -> tzinfo | None:
        if not self._known:
            self._zone = site_offset(self._text)
            self._known = True
        return self._zone


Zone = tzinfo | SiteZone | None


def aware(value: datetime, tz: Zone) -> datetime:
    if value.tzinfo is None:
        zone = tz.get() if isinstance(tz, SiteZone) else tz
        value = value.replace(tzinfo=zone or UTC)
    return value.astimezone(UTC)
