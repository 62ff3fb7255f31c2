"""The normalized article record every extractor returns."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from typing import Any

# Fields whose change makes a new article version (capture facts and links do not).
CONTENT_FIELDS = (
    "title",
    "lead",
    "body",
    "author",
    "published_at",
    "modified_at",
    "category",
    "tags",
    "agency",
    "language",
)


@dataclasses.dataclass
class Article:
    """Fields extracted from one article page; datetimes are timezone-aware UTC."""

    url: str
    title: str | None = None
    lead: str | None = None
    body: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    category: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    language: str | None = None
    agency: str | None = None
    # The raw attribution line the agency was read from ("... from the source of X").
    agency_line: str | None = None
    image: str | None = None
    links: list[str] = dataclasses.field(default_factory=list)
    extractor_version: str = ""
    # Where each field came from, e.g. {"published_at": "json-ld"}; for debugging extraction.
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    # Why a field is missing or partial (hostile or truncated HTML), never raised.
    problems: list[str] = dataclasses.field(default_factory=list)

    def content_hash(self) -> str:
        """A stable digest of the fields that define a version of the article."""
        payload = {name: _jsonable(getattr(self, name)) for name in CONTENT_FIELDS}
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """Field names as `newshub export` writes them."""
        return {
            field.name: _jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
