"""Items the hub spider yields."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from crawler.extraction.article import Article


@dataclasses.dataclass
class ArticleItem:
    """One extracted article plus where it was captured, ready for the database."""

    source: str
    article: Article
    fetched_at: datetime
    # Record id of the WARC response record the article was extracted from.
    warc_record_id: str | None = None
