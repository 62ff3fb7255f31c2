"""Template helpers that keep archived text inert."""

from __future__ import annotations

from newshub_archive.web.render import MARKS, query_link, safe_href, snippet_html, text_direction


def test_snippets_are_escaped_before_marking() -> None:
    text = f"<b>x</b> {MARKS[0]}oil{MARKS[1]} & gas"
    assert str(snippet_html(text)) == "&lt;b&gt;x&lt;/b&gt; <mark>oil</mark> &amp; gas"


def test_only_http_urls_become_links() -> None:
    assert safe_href("https://hub.test/a?b=1") == "https://hub.test/a?b=1"
    for url in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//x", None):
        assert safe_href(url) == ""


def test_direction_and_links() -> None:
    assert [text_direction(x) for x in ("fa", "ar-IR", "ur", "he", "en", None)] == [
        "rtl", "rtl", "rtl", "rtl", "ltr", "auto",
    ]  # fmt: skip
    params = {"q": "oil", "page": 3, "source": "hub"}
    assert query_link(params, category="Economy") == "?q=oil&source=hub&category=Economy"
    assert query_link(params, page=4, source=None) == "?q=oil&page=4"
