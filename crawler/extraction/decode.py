"""Bytes to text: the charset comes from the BOM, the HTTP header, <meta>, then detection.

A declared charset is only trusted when the bytes decode under it (a page served as UTF-8 that
is really windows-1256 is common on hubs), and the WHATWG rule that latin-1/ascii labels mean
windows-1252 is applied so curly quotes and dashes come out right.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

MAX_BYTES = 5 * 1024 * 1024
_DETECT_SAMPLE = 256 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,400}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_WHATWG = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "utf8": "utf-8",
    "unicode": "utf-16-le",
}


def header(headers: Mapping[str, object] | None, name: str) -> str:
    """Case-insensitive header lookup that also copes with Scrapy's bytes and list values."""
    if not headers:
        return ""
    wanted = name.lower()
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() != wanted:
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return str(value)
    return ""


def _codec(label: str) -> str | None:
    label = label.strip().lower()
    label = _WHATWG.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _try(data: bytes, codec: str, problems: list[str], source: str) -> str | None:
    """Decode under a declared codec; tolerate a handful of bad bytes, reject a wrong label.

    Bytes that are valid UTF-8 with non-ASCII in them are UTF-8 whatever a single-byte label
    says: legacy text practically never forms valid multi-byte sequences."""
    if codec != "utf-8" and _single_byte(codec) and not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            problems.append(f"{source} says {codec} but the bytes are UTF-8")
            return text
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    if bad <= max(3, len(text) // 2000):
        problems.append(f"{bad} undecodable bytes under the {source} charset {codec}")
        return text
    problems.append(f"{source} charset {codec} does not fit the bytes; detecting")
    return None


def _single_byte(codec: str) -> bool:
    return codec.startswith(("cp", "iso8859", "latin", "koi8", "mac", "tis")) and codec not in (
        "cp932", "cp936", "cp949", "cp950",
    )  # fmt: skip


def looks_binary(data: bytes) -> str | None:
    """Why the bytes are not HTML (compressed or binary), or None."""
    head = data[:4096]
    if head.startswith(b"\x1f\x8b"):
        return "body is gzip-compressed, not HTML"
    if head.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff")):
        return "body is a binary file, not HTML"
    if any(head.startswith(bom) for bom, codec in _BOMS if codec != "utf-8"):
        return None
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and controls / len(head) > 0.05:
        return "body looks binary (control bytes), not HTML"
    return None


def decode(
    data: bytes, headers: Mapping[str, object] | None, problems: list[str]
) -> tuple[str, str]:
    """(text, codec name) for an HTML payload; never raises."""
    if len(data) > MAX_BYTES:
        problems.append(f"input cut to the first {MAX_BYTES} of {len(data)} bytes")
        data = data[:MAX_BYTES]
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, errors="replace"), bom_codec
    declared = _HEADER_CHARSET.search(header(headers, "content-type"))
    if declared and (codec := _codec(declared.group(1))):
        by_header = _try(data, codec, problems, "HTTP header")
        if by_header is not None:
            return by_header, codec
    meta = _META_CHARSET.search(data[:32768])
    if meta and (codec := _codec(meta.group(1).decode("ascii", "ignore"))):
        # A <meta> in an ASCII-compatible page cannot really announce UTF-16.
        codec = "utf-8" if codec.startswith("utf-16") else codec
        by_meta = _try(data, codec, problems, "<meta>")
        if by_meta is not None:
            return by_meta, codec
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    detected = _detect(data[:_DETECT_SAMPLE])
    if detected:
        return data.decode(detected, errors="replace"), detected
    problems.append("charset unknown; decoded as windows-1252")
    return data.decode("cp1252", errors="replace"), "cp1252"


def _detect(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
    except Exception:
        return None
    if best is None:
        return None
    return _codec(best.encoding)
