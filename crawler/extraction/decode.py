"""Bytes to text: the charset comes from the BOM, the HTTP header, <meta>, then detection.

w3lib.encoding reads the BOM and the declarations and maps labels the WHATWG way (latin-1 and
ascii mean windows-1252, so curly quotes and dashes come out right). What is ours: a declared
charset is only trusted when the bytes decode under it (a page served as UTF-8 that is really
windows-1256 is common on hubs); otherwise charset-normalizer guesses.
"""

from __future__ import annotations

from collections.abc import Mapping

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

MAX_BYTES = 5 * 1024 * 1024
_DETECT_SAMPLE = 256 * 1024


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


# Bytes no text page holds (tab, newlines, form feed and carriage return excepted).
_CONTROL_BYTES = bytes(range(9)) + bytes(range(14, 32))


def looks_binary(data: bytes) -> str | None:
    """Why the bytes are not HTML (compressed or binary), or None."""
    head = data[:4096]
    if head.startswith(b"\x1f\x8b"):
        return "body is gzip-compressed, not HTML"
    if head.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff")):
        return "body is a binary file, not HTML"
    if read_bom(head)[0] not in (None, "utf-8"):  # UTF-16/32 text is full of NUL bytes
        return None
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
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
    bom_codec, bom = read_bom(data)
    if bom_codec and bom:
        return data[len(bom) :].decode(bom_codec, errors="replace"), bom_codec
    codec = http_content_type_encoding(header(headers, "content-type"))
    if codec:
        by_header = _try(data, codec, problems, "HTTP header")
        if by_header is not None:
            return by_header, codec
    # w3lib reads <meta charset>, <meta http-equiv> and <?xml encoding?> before <body>.
    codec = html_body_declared_encoding(data)
    if codec:
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
    best = from_bytes(sample).best()
    return None if best is None else resolve_encoding(best.encoding)
