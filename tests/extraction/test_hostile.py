"""Hostile input never raises: the Article comes back empty or partial with the reason."""

from __future__ import annotations

import gzip
import random
import time
from pathlib import Path

import pytest

from crawler.extraction import Article, extract

PAGES = Path(__file__).parent / "pages"
URL = "http://hub.test/2024/06/18/story/"


def timed(data: object) -> tuple[Article, float]:
    start = time.perf_counter()
    article = extract(data, URL)  # type: ignore[arg-type]
    return article, time.perf_counter() - start


@pytest.mark.parametrize("data", ["", b"", "   \n\t ", b"\n\n"])
def test_empty_input(data: str | bytes) -> None:
    art, _ = timed(data)
    assert art.body is None and art.title is None
    assert art.problems == ["empty document"]
    assert art.url == URL


def test_deep_nesting_is_parsed_partially() -> None:
    page = "<html><body>" + "<div>" * 10_000 + "<p>deep</p>" + "</div>" * 10_000 + "</body></html>"
    art, seconds = timed(page)
    assert any("nesting too deep" in p for p in art.problems)
    assert seconds < 10


def test_deep_nesting_keeps_what_came_before() -> None:
    head = (PAGES / "reference.html").read_text(encoding="utf-8")
    cut = head.index('<div class="post-components">')
    page = head[:cut] + "<div>" * 5_000
    art, _ = timed(page)
    assert art.title and art.title.startswith("Putin’s intention")
    assert art.body and "Rodong Sinmun" in art.body


def test_binary_and_compressed_bodies() -> None:
    noise = random.Random(1).randbytes(100_000)
    art, _ = timed(noise)
    assert art.body is None and "binary" in art.problems[0]
    art, _ = timed(gzip.compress((PAGES / "jnews.html").read_bytes()))
    assert art.problems == ["body is gzip-compressed, not HTML"]


def test_huge_input_is_cut_and_recorded() -> None:
    page = b"<html><body><article><h1>Big</h1><p>" + b"lorem ipsum dolor " * 3_000_000
    art, seconds = timed(page)
    assert art.title == "Big"
    assert any(p.startswith("input cut to the first") for p in art.problems)
    assert seconds < 30


def test_many_elements_are_capped() -> None:
    page = "<html><body>" + "<div class='x'><a href='/a'>x</a></div>" * 60_000 + "</body></html>"
    art, seconds = timed(page)
    assert art.body is None
    assert seconds < 30


def test_truncated_page_gives_a_partial_article() -> None:
    raw = (PAGES / "jnews.html").read_bytes()
    cut = raw.index(b"The two sides also agreed")
    art, _ = timed(raw[:cut])
    assert art.title == "Iran and Oman agree to expand shipping links through Bandar Abbas"
    assert art.body and art.body.startswith("According to the report")


def test_broken_json_ld_and_odd_types() -> None:
    page = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": '
        '</script><script type="application/ld+json">' + "[" * 50_000 + "</script>"
        '<script type="application/ld+json">{"@type": ["NewsArticle"], "author": [null, 3, '
        '{"name": ["x"]}], "datePublished": {"a": 1}, "keywords": 7, "image": [[]], '
        '"articleSection": []}</script></head><body><h1>Title</h1><p>'
        + "Some words here. " * 20
        + "</p></body></html>"
    )
    art, _ = timed(page)
    assert art.title == "Title"
    assert art.problems.count("invalid JSON-LD ignored") == 2
    assert art.body and art.body.startswith("Some words")


def test_no_body_element_and_text_only() -> None:
    art, _ = timed("<html><head><title>Only a head</title></head></html>")
    assert art.title == "Only a head"
    assert "no article body found" in art.problems
    art, _ = timed("plain text served as html, " * 10)
    assert art.body and art.body.startswith("plain text served as html")


def test_control_characters_and_xml_declaration_in_str() -> None:
    art, _ = timed(
        '<?xml version="1.0" encoding="utf-8"?><html><body><h1>Ti\x00tle</h1></body></html>'
    )
    assert art.title == "Title"


@pytest.mark.parametrize("data", [None, 5, 3.5, ["<html>"]])
def test_wrong_types(data: object) -> None:
    art, _ = timed(data)
    assert art.problems and art.problems[0].startswith("unsupported input type")


def test_bad_urls_in_page_and_argument() -> None:
    page = (
        "<html><head><link rel=canonical href='http://[::1'><base href='javascript:x'></head>"
        "<body><article><h1>T</h1><p>" + "text " * 40 + "<a href='http://[bad'>x</a>"
        "<a href='https://ok.test/a?utm_source=x'>ok</a></p></article></body></html>"
    )
    art = extract(page, "http://[broken")
    assert art.links == ["https://ok.test/a"]
    art = extract(page, "")
    assert art.title == "T"
