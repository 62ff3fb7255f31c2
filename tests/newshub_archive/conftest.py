"""Fixtures of the archive read-side tests: one headless Chromium for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_tools import launch_chromium


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Playwright's Browser on /usr/bin/chromium (skips without it, fails in CI)."""
    yield from launch_chromium()
