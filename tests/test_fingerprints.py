"""crawler.fingerprints: membership by fingerprint across merges, at 8 bytes a member."""

from __future__ import annotations

import tracemalloc

import pytest

from crawler import fingerprints
from crawler.fingerprints import FingerprintSet, UrlMap


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


def test_url_map_keeps_only_urls_that_map_elsewhere_as_strings() -> None:
    read = UrlMap()
    read["http://hub.test/a/"] = "http://hub.test/a/"
    read["http://hub.test/b/?utm_source=x"] = "http://hub.test/b/"
    assert len(read) == 2 and read._other == {
        "http://hub.test/b/?utm_source=x": "http://hub.test/b/"
    }
    assert read["http://hub.test/a/"] == "http://hub.test/a/"
    assert read["http://hub.test/b/?utm_source=x"] == "http://hub.test/b/"
    assert "http://hub.test/c/" not in read
    with pytest.raises(KeyError):
        read["http://hub.test/c/"]
    read["http://hub.test/b/?utm_source=x"] = "http://hub.test/b/?utm_source=x"  # now itself
    assert read["http://hub.test/b/?utm_source=x"] == "http://hub.test/b/?utm_source=x"
    assert not read._other
