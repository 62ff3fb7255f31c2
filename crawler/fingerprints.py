"""A set of 64-bit URL fingerprints at 8 bytes each, for what a crawl remembers per URL.

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

    def add(self, url: str) -> None:
        if url in self:
            return
        self._recent.add(hash(url))
        if len(self._recent) >= RECENT:
            merged = array("q", sorted([*self._sorted, *self._recent]))
            self._sorted, self._recent = merged, set()
