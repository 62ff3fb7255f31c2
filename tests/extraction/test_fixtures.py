"""Realistic hub pages (three WordPress themes, the reference page, a windows-1256 page) give the
exact fields a reader sees; the boilerplate around them never reaches the body."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extraction import EXTRACTOR_VERSION, Article, extract

PAGES = Path(__file__).parent / "pages"
REFERENCE = Path(__file__).parents[3] / "shared" / "reference" / "news-hub-article.txt"

# Lines of the reference text that are article body; everything else on it is chrome.
REFERENCE_BODY_START = "According to the report of the international group Tasnim"
REFERENCE_BODY_END = "answer questions from the mass media."
NEVER_IN_BODY = (
    "Get News Fast", "– International News", "end of message/", "Putin: Western efforts",
    "has translated this news", "free zones of Iran", "Leave a Reply", "Your email address",
    "sixteen", "Back to top button", "ADVERTISEMENT", "Advertisement", "Share on", "Tags:",
    "Related", "Reply", "Previous Post", "covers trade and shipping", "Read also",
)  # fmt: skip


def run(name: str, url: str, headers: dict[str, str] | None = None) -> Article:
    return extract((PAGES / name).read_bytes(), url, headers=headers)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_clean_body(article: Article) -> None:
    assert article.body
    for junk in NEVER_IN_BODY:
        assert junk not in article.body, junk
    for block in article.body.split("\n\n"):
        assert block == " ".join(block.split()), "whitespace inside a block is normalized"


def test_reference_page_without_structured_data() -> None:
    art = run(
        "reference.html",
        "https://webangah.test/2024/06/18/putins-intention-to-sign-a-strategic-cooperation-"
        "agreement-with-north-korea/?utm_source=telegram#comments",
    )
    assert art.url == (
        "https://webangah.test/2024/06/18/putins-intention-to-sign-a-strategic-cooperation-"
        "agreement-with-north-korea/"
    )
    assert art.title == (
        "Putin’s intention to sign a strategic cooperation agreement with North Korea"
    )
    assert art.lead and art.lead.startswith("The Russian President approved the proposal")
    assert art.category == "International News"
    assert art.author is None  # only "admin" is shown
    assert art.agency == "Tasnim News Agency"
    assert art.agency_line == (
        "© Webangah News Hub has translated this news from the source of Tasnim News Agency"
    )
    assert art.published_at == utc(2024, 6, 18, 14, 35)  # no offset anywhere on the page: UTC
    assert art.modified_at is None
    assert art.language == "en"
    assert_clean_body(art)
    blocks = art.body.split("\n\n")
    assert blocks[0].startswith(REFERENCE_BODY_START)  # in-body sourcing stays in the body
    assert blocks[-1].endswith(REFERENCE_BODY_END)
    assert "North Korea’s joint defense with Russia of international justice against the West" in (
        blocks
    )
    assert len(blocks) == 7
    assert (
        "https://webangah.test/2024/06/17/putin-western-efforts-to-contain-russia-have-failed/"
        in (art.links)
    )
    assert not any("facebook.com" in link or "twitter.com" in link for link in art.links)
    assert art.extractor_version == EXTRACTOR_VERSION
    assert art.sources["published_at"] == "visible-text"


@pytest.mark.skipif(
    not REFERENCE.exists(),
    reason=f"reference text {REFERENCE} not present: it is the project's shared/ folder; "
    "clone the repository next to shared/ (as CI does) to run this test",
)
def test_reference_fixture_body_matches_the_reference_text() -> None:
    """The fixture's body is the reference text's article part, word for word."""
    text = REFERENCE.read_text(encoding="utf-8")
    start = text.index(REFERENCE_BODY_START)
    end = text.index(REFERENCE_BODY_END) + len(REFERENCE_BODY_END)
    lines = [line.strip() for line in text[start:end].splitlines() if line.strip()]
    art = run("reference.html", "https://webangah.test/x/")
    assert art.body == "\n\n".join(lines)


def test_jnews_page() -> None:
    art = run(
        "jnews.html",
        "https://globalhub.test/2024/06/18/iran-oman-shipping-links/?utm_source=t&fbclid=x",
    )
    assert art.url == "https://globalhub.test/2024/06/18/iran-oman-shipping-links/"
    assert art.title == "Iran and Oman agree to expand shipping links through Bandar Abbas"
    assert art.lead and art.lead.startswith("Tehran and Muscat signed a memorandum")
    assert art.author == "Sara Ahmadi"  # JSON-LD and meta only say "admin"
    assert art.published_at == utc(2024, 6, 18, 11, 5)
    assert art.modified_at == utc(2024, 6, 19, 5, 40)
    assert art.sources["published_at"] == "json-ld"
    assert art.category == "Economy"
    assert art.tags == ["Iran", "Oman", "Shipping"]  # "Economy" is the category
    assert art.agency == "Mehr News Agency"
    assert art.language == "en"
    assert art.image == "https://globalhub.test/wp-content/uploads/2024/06/bandar-abbas.jpg"
    assert_clean_body(art)
    assert art.body.startswith("According to the report of the economic desk of Mehr News")
    assert art.body.endswith("remove obstacles facing traders.")
    assert "Transit cargo and the north–south corridor" in art.body.split("\n\n")
    assert "https://www.pmo.example/en/news/1234" in art.links  # tracking stripped
    assert "https://globalhub.test/2024/06/10/chabahar-port-capacity/" in art.links
    assert not any("ads.example.net" in link or "t.me/share" in link for link in art.links)


def test_tagdiv_page() -> None:
    art = run("tagdiv.html", "https://www.worldhub.test/2024/06/17/parliament-budget-amendments/")
    assert art.title == "Parliament approves budget amendments after long debate"
    assert art.lead and art.lead.startswith("Lawmakers voted 187 to 42")
    assert art.author is None  # "admin" everywhere
    assert art.published_at == utc(2024, 6, 17, 8, 0)
    assert art.modified_at is None
    assert art.category == "Politics"
    assert art.tags == ["Budget", "Parliament"]
    assert art.agency == "IRNA"  # tagDiv's SOURCE box
    assert art.language == "en"
    assert_clean_body(art)
    blocks = art.body.split("\n\n")
    assert blocks[0].startswith("The parliament on Monday approved")
    assert "Rural roads: a new maintenance fund" in blocks  # list items are blocks
    assert (
        blocks[-1] == "The bill now goes to the Guardian Council, which has ten days to review it."
    )
    assert len(blocks) == 9
    assert "https://www.worldhub.test/2024/06/10/story-0/" in art.links


def test_generatepress_page() -> None:
    art = run(
        "generatepress.html", "https://newsdesk.test/world/2024/06/20/satellite-launch-postponed/"
    )
    # The canonical points at another site, so og:url (cleaned) is used.
    assert art.url == "https://newsdesk.test/world/2024/06/20/satellite-launch-postponed/"
    assert art.title == "Satellite launch postponed for the second time"
    assert art.author == "Reza Karimi"  # JSON-LD author by @id reference
    assert art.published_at == utc(2024, 6, 20, 6, 15)
    assert art.modified_at == utc(2024, 6, 20, 9, 45)
    assert art.category == "Science"
    assert art.tags == ["Satellite", "Space"]
    assert art.agency == "Fars News Agency"
    assert art.agency_line == "News Desk Daily reported this news quoting Fars News Agency."
    assert "invalid JSON-LD ignored" in art.problems
    assert_clean_body(art)
    blocks = art.body.split("\n\n")
    assert len(blocks) == 6
    assert "Photo: space agency" not in art.body  # figure captions are not paragraphs
    assert (
        "https://newsdesk.test/world/2024/05/30/launch-delayed-weather/" in art.links
    )  # Jetpack related-posts tracking removed
    assert not any("share=" in link for link in art.links)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-Type": "text/html"},
        {"Content-Type": "text/html; charset=UTF-8"},  # a wrong header must not win
    ],
)
def test_windows_1256_persian_page(headers: dict[str, str]) -> None:
    art = run("persian-windows-1256.html", "http://akhbar.test/news/2024/06/18/12345/", headers)
    assert art.title == "افزايش صادرات غيرنفتي ايران به کشورهاي همسايه"
    assert art.body and art.body.startswith("به گزارش خبرگزاري تسنيم")
    assert "منبع" not in art.body
    assert art.agency == "Tasnim News Agency"
    assert art.category == "اقتصادي"
    assert art.language == "fa"
    assert art.published_at == utc(2024, 6, 18, 11, 5)
    assert art.sources["encoding"] == "cp1256"
