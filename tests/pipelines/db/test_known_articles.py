"""What a recrawl knows: an archived article found by its URL or by what redirects to it."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.db.known_articles import Known, KnownArticle

SEEN = datetime(2026, 5, 1, tzinfo=UTC)
POST = "https://hub.test/2026/05/01/budget-approved/"
PAGE = "https://hub.test/about"


def test_an_article_is_found_by_its_url_shortlink_or_slashless_permalink() -> None:
    article = KnownArticle(published_at=SEEN, first_seen=SEEN, last_seen=SEEN)
    known = Known(articles={POST: article, PAGE: article}, by_post_id={"42": POST})
    assert known.find(POST) == (POST, article)
    assert known.find(POST.rstrip("/")) == (POST, article)  # WordPress 301s to the slash
    assert known.find("https://hub.test/?p=42") == (POST, article)
    assert known.find("https://hub.test?p=42") == (POST, article)
    assert known.find(PAGE) == (PAGE, article)
    for unknown in (
        "https://hub.test/?p=43",  # another post
        "https://hub.test/?p=42&preview=true",  # not a plain shortlink
        "https://hub.test/feed/?p=42",  # not at the site's root
        "https://hub.test/2026/05/01/budget-approved/?replytocom=7",
        "https://hub.test/2026/05/01/other/",
    ):
        assert known.find(unknown) is None, unknown
