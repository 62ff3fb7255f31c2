"""Where a capture can be replayed: pywb-style URLs on the replay server newshub documents.

`NEWSHUB_REPLAY_URL` names the server (default http://127.0.0.1:8080); the collection is
`newshub`, so a capture replays at `BASE/newshub/YYYYMMDDhhmmss/URL`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime

DEFAULT_REPLAY_URL = "http://127.0.0.1:8080"
COLLECTION = "newshub"


def replay_base(environ: Mapping[str, str] | None = None) -> str:
    """The replay server's base URL, without a trailing slash."""
    env = os.environ if environ is None else environ
    return (env.get("NEWSHUB_REPLAY_URL") or DEFAULT_REPLAY_URL).rstrip("/")


def wayback_timestamp(when: datetime) -> str:
    """The 14-digit UTC timestamp replay tools key captures on."""
    if when.tzinfo is None:
        raise ValueError("replay timestamps need an aware datetime")
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def replay_url(url: str, when: datetime, base: str | None = None) -> str:
    """The replay URL of `url` as captured at `when` (the capture closest to it replays)."""
    return f"{(base or replay_base()).rstrip('/')}/{COLLECTION}/{wayback_timestamp(when)}/{url}"
