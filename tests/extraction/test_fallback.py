"""The trafilatura fallback is alive in this install: a page no container rule knows gets its
whole body through it. If trafilatura cannot be imported (a missing `lxml_html_clean`, say),
this fails instead of the extractor quietly returning a partial body."""

from __future__ import annotations

from crawler.extraction import extract

PARAGRAPHS = [
    f"Paragraph {n} of an article whose theme no container rule knows: the ministry said on "
    f"Tuesday that exports rose by {n} percent over the quarter, according to its report."
    for n in range(1, 9)
]
PAGE = (
    "<html><head><title>Exports rise - Unknown Hub</title></head><body>"
    '<div class="zz-site"><div class="zz-nav"><a href="/">Home</a> '
    '<a href="/world/">World</a></div>'
    '<div class="zz-wrap"><h1>Exports rise</h1><div class="zz-copy">'
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + '</div></div><div class="zz-foot">Copyright Unknown Hub</div></div></body></html>'
)


def test_unknown_layout_gets_its_whole_body_from_trafilatura() -> None:
    article = extract(PAGE.encode(), "https://hub.example/2026/01/05/exports-rise/")
    assert not any("extractor error" in problem for problem in article.problems), article.problems
    assert article.sources.get("body") == "trafilatura"
    assert article.body is not None
    assert all(paragraph in article.body for paragraph in PARAGRAPHS)
