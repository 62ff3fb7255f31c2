"""crawler.fingerprints: membership by fingerprint across merges, at 8 bytes a member."""

from __future__ import annotations

import tracemalloc

import pytest

from crawler import fingerprints
from crawler.fingerprints import FingerprintSet


def test_members_are_found_before_and_after_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fingerprints, "RECENT", 7)
    urls = [f"http://hub.test/2026/{n}/" for n in range(100)]
    seen = FingerprintSet()
    for n, url in enumerate(urls):
        assert url not in seen
        seen.add(url)
        seen.add(url)  # twice is once
        assert len(seen) == n + 1
        assert all(earlier in seen for earlier in urls[: n + 1])
    assert "http://hub.test/2026/100/" not in seen and "" not in seen


def test_a_member_costs_about_8_bytes() -> None:
    urls = [f"http://hub.test/2026/01/{n:06}/a-story/" for n in range(50_000)]
    tracemalloc.start()
    seen = FingerprintSet()
    before = tracemalloc.get_traced_memory()[0]
    for url in urls:
        seen.add(url)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert used / len(urls) < 20  # a set of the fingerprints as ints: about 100
