"""Fixtures of the archive read-side tests: one headless Chromium for these tests.

Package-scoped, not session-scoped: Playwright's sync API keeps an asyncio loop marked as
running in the main thread while it is open, and later tests call asyncio.run().
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_tools import launch_chromium


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Playwright's Browser on /usr/bin/chromium (skips without it, fails in CI)."""
    yield from launch_chromium()
