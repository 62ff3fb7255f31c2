"""Word-level differences between two versions of an article, for reading side by side.

`newshub show --diff` prints a line diff; a reader wants to see which words an editor
changed inside a paragraph, so the text is compared word by word (whitespace kept as written).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, text) pieces of the new text: kind is "same", "removed" or "added"."""
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(("same", "".join(after[j1:j2])))
            continue
        if i2 > i1:
            pieces.append(("removed", "".join(before[i1:i2])))
        if j2 > j1:
            pieces.append(("added", "".join(after[j1:j2])))
    return pieces


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The word diff of the title and the body of two versions (as `show` lists them)."""
    return {
        "from": {"id": old["id"], "captured_at": old["captured_at"]},
        "to": {"id": new["id"], "captured_at": new["captured_at"]},
        "title": word_diff(old["title"] or "", new["title"] or ""),
        "body": word_diff(old["body"] or "", new["body"] or ""),
        "changed": (old["title"], old["body"]) != (new["title"], new["body"]),
    }
