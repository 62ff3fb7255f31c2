"""Publication and modification dates, each from the most trusted source that has it.

Order of trust: JSON-LD, article:* meta, microdata, <time datetime>, visible date text, the URL,
then htmldate. Published and modified are looked up independently and never stand in for each
other. A naive time is read in the site's timezone when the page states an offset anywhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

from lxml import etree

from .dom import class_id, in_other_region, norm, text_of
from .index import PageIndex
from .structured import Structured, text_value
from .zones import SiteZone, Zone, aware

logger = logging.getLogger(__name__)

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_MONTH_NAMES = (
    "january jan|february feb|march mar|april apr|may|june jun|july jul|august aug"
    "|september sep sept|october oct|november nov|december dec"
)
_MONTHS = {name: i + 1 for i, names in enumerate(_MONTH_NAMES.split("|")) for name in names.split()}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = (
    r"(?:(?:\s*(?:-|–|—|,|\||at|@|T)\s*|\s+)(?P<h>\d{1,2}):(?P<mi>\d\d)(?::(?P<s>\d\d))?"
    r"\s*(?P<ap>[ap]\.?m\.?)?)?"
)
_VISIBLE = [
    re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME, re.I),
    re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<y>\d{4})" + _TIME, re.I),
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME, re.I),
    re.compile(r"(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})" + _TIME, re.I),
]
_URL_DATE = re.compile(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])(?:/|$)")
_DATE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:date|time|posted-on|published|entry-date|post-date|meta-date|updated"
    r"|modified|dateline|timestamp)(?:$|[\s_-])"
)
_TODAY = re.compile(r"today|top-?bar|top-?nav|current-date|data_time|top_date|header-date")
_MODIFIED_TEXT = re.compile(r"\b(?:updated?|modified|last update|edited)\b", re.I)
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "published_time", "pubdate",
    "publishdate", "publish-date", "date", "dc.date.issued", "dc.date", "dcterms.created",
    "sailthru.date", "parsely-pub-date", "datepublished", "og:published_time",
)  # fmt: skip
_MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "modified_time",
    "dcterms.modified", "datemodified", "last-modified",
)  # fmt: skip


def parse_iso(raw: str, tz: Zone = None) -> datetime | None:
    """ISO 8601 (and RFC 2822) timestamps; naive ones are read in the site's timezone."""
    text = norm(raw).translate(_DIGITS)
    if not text or len(text) > 64:
        return None
    iso = re.sub(r"(?<=\d)\s+(?=[+-]\d\d:?\d\d$)", "", text)
    iso = re.sub(r"\s*(?:UTC|GMT|Z)$", "+00:00", iso)
    try:
        value = datetime.fromisoformat(iso.replace(" ", "T", 1) if "T" not in iso else iso)
    except ValueError:
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return _parse_visible(text, tz)
    if not 1990 <= value.year <= 2100:
        return None
    return aware(value, tz)


def _parse_visible(text: str, tz: Zone) -> datetime | None:
    """A date written for people ("June 18, 2024 - 14:35", "18/06/2024")."""
    text = text.translate(_DIGITS)
    for pattern in _VISIBLE:
        match = pattern.search(text)
        if not match:
            continue
        parts = match.groupdict()
        month = _MONTHS.get(parts["mon"].lower()) if parts.get("mon") else int(parts["m"])
        hour = int(parts["h"]) if parts.get("h") else 0
        if parts.get("ap"):
            hour = hour % 12 + (12 if parts["ap"].lower().startswith("p") else 0)
        try:
            value = datetime(
                int(parts["y"]), month or 0, int(parts["d"]), hour,
                int(parts["mi"] or 0), int(parts["s"] or 0),
            )  # fmt: skip
        except (TypeError, ValueError):
            continue
        if 1990 <= value.year <= 2100:
            return aware(value, tz)
    return None


def _jsonld(data: Structured, key: str, tz: Zone) -> datetime | None:
    for node in (data.article, data.webpage):
        raw = text_value(node.get(key)) if node else ""
        if raw and (value := parse_iso(raw, tz)):
            return value
    return None


def _time_elements(page: PageIndex, tz: Zone) -> tuple[datetime | None, datetime | None]:
    published = modified = None
    stamped = [el for el in page.root.iter("time") if el.get("datetime")]
    stamped += [el for el in page.marked if el.tag != "time" and el.get("datetime")]
    for el in stamped:
        if in_other_region(el):
            continue
        value = parse_iso(el.get("datetime") or "", tz)
        if value is None:
            continue
        kind = _kind(el)
        if kind == "modified":
            modified = modified or value
        else:
            published = published or value
    return published, modified


def _kind(el: etree._Element) -> str:
    """ "modified" for update stamps; WordPress puts "updated" on published times too."""
    prop = (el.get("itemprop") or "").lower()
    if prop:
        return "modified" if "modified" in prop else "published"
    cls = set(class_id(el).split())
    if cls & {"published", "entry-date", "post-date", "date-published"}:
        return "published"
    if cls & {"updated", "modified", "date-modified", "last-modified"}:
        return "modified"
    parent = el.getparent()
    if parent is not None and _MODIFIED_TEXT.search(norm(parent.text)[:40]):
        return "modified"
    return "published"


def _is_modified(attrs: str, text: str) -> bool:
    """An update stamp: "Updated: …" text or a modified/updated class (not WordPress's
    "entry-date updated" on the published time)."""
    if _MODIFIED_TEXT.search(text[:30]):
        return True
    tokens = set(attrs.split())
    if any("modified" in t or (t.startswith("updated") and t != "updated") for t in tokens):
        return True
    return "updated" in tokens and not tokens & {"published", "entry-date", "post-date"}


def _visible(page: PageIndex, tz: Zone) -> tuple[datetime | None, datetime | None]:
    published = modified = None
    dated = {
        el
        for index in (page.by_class, page.by_id)
        for token, els in index.items()
        if _DATE_CLASS.search(token.lower())
        for el in els
    }
    ordered = sorted(dated, key=page.position.__getitem__)
    # Dates after the headline first: a top bar's "today" date comes before it.
    after_title = [el for el in ordered if page.position[el] > page.first_h1]
    for el in [*after_title, *ordered]:
        attrs = class_id(el)
        if len(el) > 6 or _TODAY.search(attrs):
            continue
        text = norm(text_of(el))
        if not text or len(text) > 120 or in_other_region(el):
            continue
        value = _parse_visible(text, tz)
        if value is None:
            continue
        if _is_modified(attrs, text):
            modified = modified or value
        else:
            published = published or value
        if published and modified:
            break
    return published, modified


def find_dates(
    page: PageIndex,
    data: Structured,
    url: str,
    page_text: str,
    sources: dict[str, str],
    tz: tzinfo | None = None,
    rules: tuple[Sequence[str], Sequence[str]] = ((), ()),
    last_modified: datetime | None = None,
) -> tuple[datetime | None, datetime | None]:
    """(published_at, modified_at) in UTC, recording each one's source in `sources`."""
    zone = SiteZone(page_text, tz)
    found: dict[str, datetime] = {}

    def take(name: str, value: datetime | None, source: str) -> None:
        if value is not None and name not in found:
            found[name] = value
            sources[name] = source

    take("published_at", _by_rule(page, rules[0], zone), "rules")
    take("modified_at", _by_rule(page, rules[1], zone), "rules")

    take("published_at", _jsonld(data, "datePublished", zone), "json-ld")
    take("modified_at", _jsonld(data, "dateModified", zone), "json-ld")
    for names, field, source in (
        (_PUBLISHED_META, "published_at", "meta"),
        (_MODIFIED_META, "modified_at", "meta"),
    ):
        for name in names:
            raw = data.first_meta(name)
            if raw and (value := parse_iso(raw, zone)):
                take(field, value, f"{source}:{name}")
                break
    if len(found) < 2:
        pub, mod = _time_elements(page, zone)
        take("published_at", pub, "time-element")
        take("modified_at", mod, "time-element")
    if len(found) < 2:
        pub, mod = _visible(page, zone)
        if last_modified is not None and (pub or mod) and zone.get() is None:
            # No offset anywhere: a server whose Last-Modified is one of the shown (local)
            # times tells the site's offset.
            inferred = _offset_from(last_modified, [v for v in (mod, pub) if v])
            if inferred is not None:
                sources["timezone"] = "last-modified"
                pub, mod = _visible(page, inferred)
        take("published_at", pub, "visible-text")
        take("modified_at", mod, "visible-text")
    if "published_at" not in found and (match := _URL_DATE.search(url)):
        year, month, day = (int(g) for g in match.groups())
        take("published_at", datetime(year, month, day, tzinfo=UTC), "url")
    return found.get("published_at"), found.get("modified_at")


def _offset_from(last_modified: datetime, shown: list[datetime]) -> tzinfo | None:
    """The UTC offset that turns a naive shown time into the Last-Modified instant."""
    for value in shown:
        delta = value - last_modified.replace(second=0, microsecond=0)
        if delta and abs(delta) <= timedelta(hours=14) and not delta % timedelta(minutes=15):
            return timezone(delta)
    return None


def _by_rule(page: PageIndex, specs: Sequence[str], tz: Zone) -> datetime | None:
    for spec in specs:
        for hit in page.find(spec):
            if isinstance(hit, etree._Element):
                hit = hit.get("datetime") or hit.get("content") or text_of(hit)
            value = parse_iso(str(hit), tz)
            if value is not None:
                return value
    return None


def htmldate_published(page: str, url: str) -> datetime | None:
    """htmldate's guess of the original publication date: the slow last resort."""
    from htmldate import find_date  # a hard dependency: a broken install fails loudly

    try:
        raw = find_date(page, url=url, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S")
    except Exception as exc:  # htmldate on a hostile page: no guess, said why
        logger.warning("htmldate failed on %s: %s: %s", url, type(exc).__name__, exc)
        return None
    return parse_iso(raw) if raw else None
