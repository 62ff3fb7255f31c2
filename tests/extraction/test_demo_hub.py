"""Extraction accuracy against the demo hub's ground truth (three themes, legacy charsets,
pages with and without structured data).

`score_demo_hub()` is the helper the benchmark reuses: it returns per-field accuracy and body
F1 for this extractor and, for comparison, body F1 of trafilatura alone on the same pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from crawler.demo.site import DemoHub
from crawler.extraction import Article, extract
from crawler.extraction.metrics import (
    FIELDS,
    field_accuracy,
    mean_f1,
    mismatches,
    shingle_f1,
    trafilatura_body,
)

BASE = "http://hub.test"
ARTICLES, SEED = 120, 7
THRESHOLD = 0.98


@dataclass
class DemoScore:
    """Accuracy of one run over a demo hub."""

    pages: int
    accuracy: dict[str, float]
    body_f1: float
    pages_per_second: float
    trafilatura_body_f1: float | None = None
    trafilatura_pages_per_second: float | None = None
    articles: list[Article] = field(default_factory=list, repr=False)
    truth: list[Any] = field(default_factory=list, repr=False)


def score_demo_hub(
    articles: int = ARTICLES, seed: int = SEED, *, with_trafilatura: bool = False
) -> DemoScore:
    """Extract every article page of DemoHub(articles, seed) and score it against the truth."""
    hub = DemoHub(articles, seed=seed)
    pages = []
    for truth in hub.articles:
        resp = hub.render(truth.path, base_url=BASE, accept_gzip=False)
        assert resp.status == 200, truth.path
        pages.append((truth, resp))
    start = time.perf_counter()
    extracted = [
        extract(resp.body, BASE + truth.path, headers=dict(resp.headers)) for truth, resp in pages
    ]
    elapsed = time.perf_counter() - start
    truths = [truth for truth, _ in pages]
    score = DemoScore(
        pages=len(pages),
        accuracy=field_accuracy(extracted, truths, FIELDS),
        body_f1=mean_f1((a.body, t.body) for a, t in zip(extracted, truths, strict=True)),
        pages_per_second=len(pages) / elapsed,
        articles=extracted,
        truth=truths,
    )
    if with_trafilatura:
        start = time.perf_counter()
        bodies = [trafilatura_body(resp.body, BASE + truth.path) for truth, resp in pages]
        score.trafilatura_pages_per_second = len(pages) / (time.perf_counter() - start)
        score.trafilatura_body_f1 = mean_f1(
            (b, t.body) for b, t in zip(bodies, truths, strict=True)
        )
    return score


@pytest.fixture(scope="module")
def score() -> DemoScore:
    return score_demo_hub()


@pytest.mark.parametrize("name", FIELDS)
def test_field_accuracy(score: DemoScore, name: str) -> None:
    assert score.accuracy[name] >= THRESHOLD, mismatches(score.articles, score.truth, name)


def test_body_f1(score: DemoScore) -> None:
    worst = sorted(
        (shingle_f1(a.body, t.body), t.id, t.theme)
        for a, t in zip(score.articles, score.truth, strict=True)
    )[:3]
    assert score.body_f1 >= THRESHOLD, worst


def test_attribution_lead_and_url(score: DemoScore) -> None:
    """Fields outside the scored set: the raw credit line, the standfirst, canonical URL."""
    pairs = list(zip(score.articles, score.truth, strict=True))
    assert sum(a.agency_line == t.agency_line for a, t in pairs) / len(pairs) >= THRESHOLD
    assert sum(a.lead == t.lead for a, t in pairs) / len(pairs) >= THRESHOLD
    assert all(a.url == BASE + t.path for a, t in pairs)
    assert all(a.image == BASE + t.image for a, t in pairs)


def test_body_never_holds_hub_boilerplate(score: DemoScore) -> None:
    for art, truth in zip(score.articles, score.truth, strict=True):
        body = art.body or ""
        assert "end of message/" not in body, truth.id
        assert truth.agency_line not in body, truth.id
        assert "Advertisement" not in body and "Leave a Reply" not in body, truth.id
        assert not art.problems, (truth.id, art.problems)


def test_links_are_clean(score: DemoScore) -> None:
    for art in score.articles:
        for link in art.links:
            assert link.startswith("http://hub.test/"), link  # the ad link is not content
            assert "utm_" not in link and "share=" not in link and "replytocom" not in link
