"""A set of 64-bit fingerprints of URLs (or of requests) at 8 bytes each, for what a crawl
remembers per URL.

Ours: Python's set of ints costs about 100 bytes a member (the int and a table kept at most
half full), and a crawl of a large hub remembers every URL it sent on. Like Heritrix's
unique-URI filters, members are 64-bit fingerprints (Python's keyed string hash: two of ten
million URLs share one with a probability of 3e-6), kept in a sorted array('q') searched
with bisect; new members wait in a small set that is merged into the array when it fills.
"""

from __future__ import annotations

import bisect
from array import array

# Members held in the small set before a merge: a merge copies the array (8 bytes a member).
RECENT = 4096


class FingerprintSet:
    """`url in s`, `s.add(url)`, `len(s)`: membership of URLs by their 64-bit fingerprint."""

    def __init__(self) -> None:
        self._sorted = array("q")
        self._recent: set[int] = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def __contains__(self, url: object) -> bool:
        fingerprint = hash(url)
        if fingerprint in self._recent:
            return True
        at = bisect.bisect_left(self._sorted, fingerprint)
        return at < len(self._sorted) and self._sorted[at] == fingerprint

    def add(self, url: str | bytes) -> None:
        if url in self:
            return
        self._recent.add(hash(url))
        if len(self._recent) >= RECENT:
            merged = array("q", sorted([*self._sorted, *self._recent]))
            self._sorted, self._recent = merged, set()


class UrlMap:
    """`m[url] = target`, `url in m`, `m[url]`: URLs mapped to URLs that are mostly themselves
    (a requested URL to its article's canonical URL). A URL mapped to itself is a member of a
    FingerprintSet (8 bytes); only the others are kept as a dict."""

    def __init__(self) -> None:
        self._same = FingerprintSet()
        self._other: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._same) + len(self._other)

    def __setitem__(self, url: str, target: str) -> None:
        if target == url:
            self._other.pop(url, None)
            self._same.add(url)
        else:
            self._other[url] = target

    def __contains__(self, url: object) -> bool:
        return url in self._other or url in self._same

    def __getitem__(self, url: str) -> str:
        if url in self._other:
            return self._other[url]
        if url in self._same:
            return url
        raise KeyError(url)
