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
    # The site's own id of the post (crawler.identity), stable across URL changes.
    post_id: str | None = None
    # Language editions the page links (hreflang code -> URL), its own included.
    editions: dict[str, str] = dataclasses.field(default_factory=dict)
    # URLs that redirected to this page on the way (old addresses of a moved article).
    redirected_from: list[str] = dataclasses.field(default_factory=list)
