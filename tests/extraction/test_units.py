"""The building blocks: URL hygiene, date parsing, agency names, charsets, language, metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.extraction import extract
from crawler.extraction.agency import credit_match, find_mention, normalize
from crawler.extraction.blocks import is_boilerplate_text, is_end_marker
from crawler.extraction.dates import parse_iso
from crawler.extraction.decode import decode
from crawler.extraction.language import detect, primary
from crawler.extraction.links import absolute, same_site, site_of
from crawler.extraction.metrics import exact_match, field_accuracy, mean_f1, shingle_f1
from crawler.extraction.zones import site_offset

TEHRAN = timezone(timedelta(hours=3, minutes=30))


def test_absolute_and_same_site() -> None:
    assert absolute("/x/", "http://hub.test/a/b/") == "http://hub.test/x/"
    assert absolute("javascript:void(0)", "http://hub.test/") is None
    assert absolute("#respond", "http://hub.test/") is None
    assert absolute("mailto:a@b.c", "http://hub.test/") is None
    assert same_site("https://www.bbc.co.uk/a", "http://news.bbc.co.uk/b")
    assert not same_site("https://a.co.uk/", "https://b.co.uk/")
    assert same_site("http://hub.test:8080/a", "http://hub.test/b")


def test_canonical_only_on_the_same_site() -> None:
    page = '<html><head><link rel="canonical" href="{}"></head><body><h1>T</h1></body></html>'
    url = "http://www.hub.test/2024/01/02/a/?utm_medium=x"
    assert extract(page.format("https://hub.test/a/"), url).url == "https://hub.test/a/"
    assert extract(page.format("https://spam.test/a/"), url).url == (
        "http://www.hub.test/2024/01/02/a/"
    )
    assert extract(page.format("/relative/#x"), url).url == "http://www.hub.test/relative/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-06-18T14:35:00+03:30", datetime(2024, 6, 18, 11, 5, tzinfo=UTC)),
        ("2024-06-18T14:35:00Z", datetime(2024, 6, 18, 14, 35, tzinfo=UTC)),
        ("2024-06-18 14:35", datetime(2024, 6, 18, 11, 5, tzinfo=UTC)),  # naive: site zone
        ("June 18, 2024 - 14:35", datetime(2024, 6, 18, 11, 5, tzinfo=UTC)),
        ("18 June 2024 - 14:35", datetime(2024, 6, 18, 11, 5, tzinfo=UTC)),
        ("June 18, 2024 at 2:35 pm", datetime(2024, 6, 18, 11, 5, tzinfo=UTC)),
        ("Tue, 18 Jun 2024 10:00:00 GMT", datetime(2024, 6, 18, 10, 0, tzinfo=UTC)),
        ("۲۰۲۴/۰۶/۱۸ ۱۴:۳۵", datetime(2024, 6, 18, 11, 5, tzinfo=UTC)),
        ("not a date", None),
        ("0001-01-01T00:00:00", None),
    ],
)
def test_parse_iso(raw: str, expected: datetime | None) -> None:
    assert parse_iso(raw, TEHRAN) == expected


def test_site_offset() -> None:
    assert site_offset('"datePublished":"2024-06-18T14:35:00+03:30"') == TEHRAN
    assert site_offset("open 10:00-12:00, call +98 21 1234") is None
    assert site_offset("All times GMT+3:30") == TEHRAN


def test_visible_time_without_any_offset_is_utc() -> None:
    page = (
        '<html><body><h1>T</h1><span class="post-date">June 18, 2024 - 14:35</span></body></html>'
    )
    art = extract(page, "http://hub.test/a/")
    assert art.published_at == datetime(2024, 6, 18, 14, 35, tzinfo=UTC)
    art = extract(
        page, "http://hub.test/a/", headers={"Last-Modified": "Tue, 18 Jun 2024 11:05:00 GMT"}
    )
    assert art.published_at == datetime(2024, 6, 18, 11, 5, tzinfo=UTC)  # the server tells +03:30
    assert art.sources["timezone"] == "last-modified"


def test_published_and_modified_are_never_swapped() -> None:
    page = (
        '<html><body><h1>T</h1><time class="updated" datetime="2024-06-20T10:00:00Z">x</time>'
        '<time class="entry-date published" datetime="2024-06-18T10:00:00Z">y</time></body></html>'
    )
    art = extract(page, "http://hub.test/a/")
    assert art.published_at == datetime(2024, 6, 18, 10, 0, tzinfo=UTC)
    assert art.modified_at == datetime(2024, 6, 20, 10, 0, tzinfo=UTC)
    only_modified = (
        '<html><head><meta property="article:modified_time" content="2024-06-20T10:00:00Z">'
    )
    art = extract(only_modified + "</head><body><h1>T</h1></body></html>", "http://hub.test/x")
    assert art.modified_at is not None and art.published_at is None


def test_url_date_is_a_fallback() -> None:
    art = extract("<html><body><h1>T</h1></body></html>", "http://hub.test/2024/06/18/a/")
    assert art.published_at == datetime(2024, 6, 18, tzinfo=UTC)
    assert art.sources["published_at"] == "url"


@pytest.mark.parametrize(
    ("line", "agency"),
    [
        (
            "© Hub has translated this news from the source of Tasnim News Agency",
            "Tasnim News Agency",
        ),
        ("Hub has translated this news from the source of tasnim news", "Tasnim News Agency"),
        ("Source: IRNA", "IRNA"),
        ("Source : Associated Press", "AP"),
        ("Hub reported this news quoting Mehr News Agency.", "Mehr News Agency"),
        ("This article was originally published by Anadolu.", "Anadolu Agency"),
        ("منبع: خبرگزاري فارس", "Fars News Agency"),
        ("Source: Daily Planet", "Daily Planet"),
        ("The source said talks would resume.", None),
    ],
)
def test_credit_lines(line: str, agency: str | None) -> None:
    assert credit_match(line) == agency


def test_in_body_mentions() -> None:
    found = find_mention(
        [
            "According to the report of the international group Tasnim news agency "
            "quoting Novosti news agency, Putin accepted the proposal."
        ]
    )
    assert found and found[0] == "Tasnim News Agency"
    assert find_mention(["According to the space agency, the launch was delayed."]) is None
    assert find_mention(["Quoting Nour news agency, the minister said."])[0] == "Nour News Agency"  # type: ignore[index]
    assert normalize("the Xinhua news agency") == "Xinhua"


@pytest.mark.parametrize(
    "text",
    [
        "Advertisement",
        "- Advertisement -",
        "Leave a Reply",
        "Back to top button",
        "7 + sixteen =",
        "3 × two =",
        "Your email address will not be published. Required fields are marked *",
        "Share this:",
        "Tags:",
    ],
)
def test_boilerplate_lines(text: str) -> None:
    assert is_boilerplate_text(text)


def test_body_lines_are_not_boilerplate() -> None:
    assert not is_boilerplate_text("The figure is 12 percent higher than a year ago.")
    assert not is_boilerplate_text("2 + 2 = 4 is what the minister wrote.")
    assert is_end_marker("end of message/") and is_end_marker("انتهای پیام/")
    assert not is_end_marker("end of message/ and more text follows here")


def test_decode_order_and_detection() -> None:
    problems: list[str] = []
    persian = "<html><body><p>" + "صادرات غیرنفتی ایران به کشورهای همسایه افزایش یافت. " * 20
    data = persian.replace("ی", "ي").encode("cp1256")
    text, codec = decode(data, {}, problems)
    assert codec == "cp1256" and "صادرات" in text
    text, codec = decode(
        "“quoted” – café".encode("cp1252"),
        {"Content-Type": "text/html; charset=iso-8859-1"},
        problems,
    )
    assert text == "“quoted” – café"  # latin-1 label means windows-1252
    text, codec = decode(
        "\ufeffhé".encode("utf-8"), {"Content-Type": "text/html; charset=cp1252"}, problems
    )
    assert (text, codec) == ("hé", "utf-8")  # a BOM is definitive
    text, codec = decode(
        b'<meta charset="windows-1256">\xc7\xe1', {"content-type": "text/html"}, problems
    )
    assert codec == "cp1256" and text.endswith("ال")


def test_declared_charset_must_fit_the_bytes() -> None:
    """A header that lies gives way to the <meta>; a <meta> that lies gives way to detection."""
    arabic = "الاقتصاد الإيراني ينمو بسرعة في هذا العام. " * 30
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
    page = f"<html><head>{head}</head><body><p>{arabic}</p></body></html>".encode("cp1256")
    problems: list[str] = []
    text, codec = decode(page, {"Content-Type": "text/html; charset=UTF-8"}, problems)
    assert codec == "cp1256" and arabic in text
    assert problems == ["HTTP header charset utf-8 does not fit the bytes; detecting"]
    lying_meta = page.replace(b"windows-1256", b"utf-8")
    problems = []
    text, codec = decode(lying_meta, {}, problems)
    assert arabic in text and problems == ["<meta> charset utf-8 does not fit the bytes; detecting"]
    # Bytes that are UTF-8 are UTF-8 whatever a single-byte label says.
    text, _ = decode(arabic.encode(), {"Content-Type": "text/html; charset=latin-1"}, [])
    assert text == arabic


def test_language() -> None:
    assert primary("en-US") == "en" and primary("fa_IR") == "fa" and primary("xx-!!") is None
    assert (
        detect(
            "The minister said that the talks with the delegation were held in Tehran on Monday."
        )
        == "en"
    )
    assert detect("رييس سازمان توسعه تجارت گفت صادرات غيرنفتي به پانزده کشور همسايه رسيد") == "fa"
    assert detect("قال وزير الخارجية إن المحادثات ستستأنف الأسبوع المقبل في العاصمة") == "ar"
    assert detect("Министр заявил, что переговоры продолжатся на следующей неделе") == "ru"


def test_metrics() -> None:
    assert shingle_f1("a b c d e", "a b c d e") == 1.0
    assert shingle_f1(None, None) == 1.0 and shingle_f1("a b c d", None) == 0.0
    assert 0 < shingle_f1("one two three four five six", "one two three four five seven") < 1
    assert mean_f1([("a b c d", "a b c d"), ("x y z w", "q r s t")]) == 0.5
    assert exact_match(["a", "b"], ("a", "b"))
    assert exact_match(datetime(2024, 1, 1, 3, 30, tzinfo=TEHRAN), datetime(2024, 1, 1, tzinfo=UTC))
    acc = field_accuracy(
        [{"title": "A", "tags": ["x"]}], [{"title": "A ", "tags": ("y",)}], ["title", "tags"]
    )
    assert acc == {"title": 1.0, "tags": 0.0}


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.news.bbc.co.uk/a", "bbc.co.uk"),
        ("http://xn--a.test/", "xn--a.test"),  # bad punycode: tldextract keeps the label
        ("http://a..b/", "a..b"),  # no public suffix: the bare host
        ("http://127.0.0.1:8080/", "127.0.0.1"),
        ("http://[::1/", ""),  # unparseable
    ],
)
def test_site_of_any_host(url: str, site: str) -> None:
    assert site_of(url) == site
