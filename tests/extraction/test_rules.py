"""Per-site overrides: validated when loaded, and they win over the generic heuristics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extraction import SiteRules, extract

ODD_PAGE = """<html lang="en"><head><title>Portal</title></head><body>
<div class="hd"><span class="ttl">The real headline</span><span class="who">Leila Moradi</span>
<span class="when">18/06/2024 14:35</span><span class="sec">Provinces</span></div>
<div class="txt"><div class="para">First paragraph of the odd layout with enough words in it.</div>
<div class="para">Second paragraph, also long enough to count as article text here.</div>
<div class="promo">Buy now</div></div>
<div class="cr">Agency: Mehr</div>
</body></html>"""


def test_from_mapping_normalizes_and_accepts_lists() -> None:
    rules = SiteRules.from_mapping(
        {
            "title": "css:h1.entry-title",
            "body": ["css:.entry-content", "xpath://div[@id='text']"],
            "date": "xpath://time/@datetime",
            "published_at": "css:.when",  # alias of date; the later key wins
            "remove": ".promo",
            "timezone": "Asia/Tehran",
            "language": "fa",
        }
    )
    assert rules.title == ("css:h1.entry-title",)
    assert rules.body == ("css:.entry-content", "xpath://div[@id='text']")
    assert rules.date == ("css:.when",)
    assert rules.remove == ("css:.promo",)
    assert rules.timezone == "Asia/Tehran" and rules.language == "fa"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"title": "css:h1[["}, "site rules: title: bad css selector 'h1[['"),
        ({"body": "xpath://div[@id="}, "site rules: body: bad xpath selector '//div[@id='"),
        ({"body": "css:"}, "site rules: body: empty css selector 'css:'"),
        ({"colour": "css:.x"}, "site rules: unknown key 'colour'"),
        ({"tags": 5}, "site rules: tags must be a selector string or a list"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
        ({"timezone": "+15:00"}, "timezone offset out of range"),
    ],
)
def test_bad_rules_raise_one_line_value_errors(mapping: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        SiteRules.from_mapping(mapping)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_not_a_table() -> None:
    with pytest.raises(ValueError, match="must be a table"):
        SiteRules.from_mapping(["css:h1"])  # type: ignore[arg-type]


def test_rules_extract_an_odd_layout() -> None:
    plain = extract(ODD_PAGE, "http://odd.test/news/1")
    assert plain.title == "Portal"
    rules = SiteRules.from_mapping(
        {
            "title": "css:.ttl",
            "author": "css:.who",
            "date": "css:.when",
            "category": "xpath://span[@class='sec']",
            "body": "css:.txt",
            "remove": "css:.promo",
            "agency": "css:.cr",
            "timezone": "+03:30",
        }
    )
    art = extract(ODD_PAGE, "http://odd.test/news/1", rules=rules)
    assert art.title == "The real headline"
    assert art.author == "Leila Moradi"
    assert art.category == "Provinces"
    assert art.published_at == datetime(2024, 6, 18, 11, 5, tzinfo=UTC)
    assert art.body == (
        "First paragraph of the odd layout with enough words in it.\n\n"
        "Second paragraph, also long enough to count as article text here."
    )
    assert art.agency == "Mehr News Agency" and art.agency_line == "Agency: Mehr"
    assert art.sources["title"] == "rules" and art.sources["published_at"] == "rules"


def test_rules_are_hashable_and_comparable() -> None:
    a = SiteRules.from_mapping({"title": "css:h1"})
    b = SiteRules.from_mapping({"title": "h1"})
    assert a == b and hash(a) == hash(b)
