"""Extraction benchmark: newshub's extractor vs trafilatura alone, on the same pages, one run.

    .venv/bin/python bench/extraction.py --articles 300 --seeds 1 7 11

Scores come from crawler.extraction.metrics (body F1 on word 4-gram shingles per page, then
averaged; exact match per metadata field), against the demo hub generator's ground truth.
Throughput is also measured on the realistic 100 KB theme pages under tests/extraction/pages.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from crawler.demo.site import DemoArticle, DemoHub
from crawler.extraction import extract
from crawler.extraction.metrics import FIELDS, field_accuracy, mean_f1, trafilatura_body

BASE = "http://hub.test"
PAGES = Path(__file__).resolve().parent.parent / "tests" / "extraction" / "pages"


Page = tuple[bytes, str, dict[str, str]]


def rate(
    pages: list[Page], extractor: Callable[[bytes, str, dict[str, str]], object], rounds: int = 1
) -> float:
    """Pages per second of one extractor over the pages (single thread)."""
    start = time.perf_counter()
    for _ in range(rounds):
        for body, url, headers in pages:
            extractor(body, url, headers)
    return len(pages) * rounds / (time.perf_counter() - start)


def trafilatura_fields(pages: list[Page], truths: list[DemoArticle]) -> dict[str, float]:
    """Exact-match accuracy of trafilatura's own metadata (its dates are days, so days count)."""
    import trafilatura

    hits = dict.fromkeys(("title", "author", "published_at", "category", "tags"), 0)
    for (body, url, _), truth in zip(pages, truths, strict=True):
        doc = trafilatura.bare_extraction(body, url=url, with_metadata=True)
        if doc is None:
            continue
        hits["title"] += doc.title == truth.title
        hits["author"] += doc.author == truth.author
        hits["published_at"] += doc.date == truth.published_at.date().isoformat()
        hits["category"] += (doc.categories or [None])[0] == truth.category
        hits["tags"] += list(doc.tags or []) == list(truth.tags)
    return {name: count / len(pages) for name, count in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 7, 11])
    args = parser.parse_args()

    truths, pages = [], []
    for seed in args.seeds:
        hub = DemoHub(args.articles, seed=seed)
        for truth in hub.articles:
            response = hub.render(truth.path, base_url=BASE, accept_gzip=False)
            truths.append(truth)
            pages.append((response.body, BASE + truth.path, dict(response.headers)))

    ours = [extract(body, url, headers=headers) for body, url, headers in pages]
    theirs = [trafilatura_body(body, url) for body, url, _ in pages]
    accuracy = field_accuracy(ours, truths, FIELDS)
    baseline = trafilatura_fields(pages, truths)
    print(f"{len(pages)} demo hub pages ({len(args.seeds)} seeds, 3 themes)")
    print(f"{'field':<14} {'newshub':>8} {'trafilatura':>12}")
    for name in FIELDS:
        theirs_text = f"{baseline[name]:>12.3f}" if name in baseline else f"{'-':>12}"
        print(f"{name:<14} {accuracy[name]:>8.3f} {theirs_text}")
    ours_f1 = mean_f1((a.body, t.body) for a, t in zip(ours, truths, strict=True))
    their_f1 = mean_f1((b, t.body) for b, t in zip(theirs, truths, strict=True))
    print(f"{'body F1':<14} {ours_f1:>8.4f}   trafilatura alone: {their_f1:.4f}")

    sample = pages[:200]
    print("\nthroughput, pages/s on one core     newshub   trafilatura")
    ours_rate = rate(sample, lambda b, u, h: extract(b, u, headers=h))
    their_rate = rate(sample, lambda b, u, h: trafilatura_body(b, u))
    print(f"demo hub pages (~13 KB)            {ours_rate:>8.1f}   {their_rate:>11.1f}")
    themed = [
        (p.read_bytes(), f"{BASE}/2024/06/18/{p.stem}/", {}) for p in sorted(PAGES.glob("*.html"))
    ]
    if themed:
        ours_rate = rate(themed, lambda b, u, h: extract(b, u, headers=h), rounds=10)
        their_rate = rate(themed, lambda b, u, h: trafilatura_body(b, u), rounds=10)
        print(f"theme pages (~100 KB)              {ours_rate:>8.1f}   {their_rate:>11.1f}")


if __name__ == "__main__":
    main()
