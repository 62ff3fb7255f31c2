"""Template helpers: the few things Jinja2 cannot say safely or briefly by itself.

Everything archived is untrusted: snippets are escaped before their match markers become
<mark>, and a URL becomes a link only when it is http(s) (no `javascript:` in an href).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment
from markupsafe import Markup, escape

# Match markers the search puts around matched words: private-use characters no text has.
MARKS = ("\ue000", "\ue001")
# Scripts written right to left: Arabic, Persian, Hebrew, Urdu, Pashto, Sindhi, Kurdish
# (Sorani), Dhivehi, Uyghur, Yiddish.
RTL_LANGUAGES = frozenset(("ar", "fa", "he", "iw", "ur", "ps", "sd", "ckb", "dv", "ug", "yi"))


def snippet_html(text: str) -> Markup:
    """The snippet escaped, its matches in <mark>."""
    escaped = str(escape(text))
    return Markup(escaped.replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>"))


def plain_snippet(text: str) -> str:
    return text.replace(MARKS[0], "").replace(MARKS[1], "")


def safe_href(url: str | None) -> str:
    """`url` when it is an absolute http(s) URL, else "" (the template then shows text)."""
    if not url:
        return ""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    return url.strip() if scheme in ("http", "https") else ""


def text_direction(language: str | None) -> str:
    """rtl for right-to-left languages, auto when unknown (the browser looks at the text)."""
    if not language:
        return "auto"
    primary = language.lower().replace("_", "-").split("-")[0]
    return "rtl" if primary in RTL_LANGUAGES else "ltr"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def paragraphs(body: str | None) -> list[str]:
    return [line.strip() for line in (body or "").splitlines() if line.strip()]


def query_link(params: Mapping[str, Any], **changes: Any) -> str:
    """`?...` with params updated by changes (None removes a key); back to page 1 unless set."""
    merged = {key: value for key, value in params.items() if value not in (None, "")}
    if "page" not in changes:
        merged.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    return "?" + urlencode(merged)


def bars(
    points: Iterable[Mapping[str, Any]], label: str, value: str, width: int = 360, height: int = 60
) -> dict[str, Any]:
    """Geometry of a small SVG bar chart of points[label] against points[value], in order."""
    pairs = [(str(point[label]), int(point[value])) for point in points]
    top = max((count for _, count in pairs), default=0) or 1
    step = width / max(len(pairs), 1)
    return {
        "width": width,
        "height": height,
        "bars": [
            {
                "x": round(n * step, 1),
                "w": max(round(step - 1, 1), 1),
                "h": round(count / top * (height - 2), 1),
                "y": round(height - count / top * (height - 2), 1),
                "label": f"{name}: {count}",
            }
            for n, (name, count) in enumerate(pairs)
        ],
    }


def install(env: Environment) -> None:
    env.filters.update(
        snippet=snippet_html, href=safe_href, direction=text_direction, when=when,
        paragraphs=paragraphs,
    )  # fmt: skip
    env.globals.update(query_link=query_link, bars=bars)
