"""Search benchmark: `newshub search` over N synthetic articles on SQLite (target: < 50 ms median).

    .venv/bin/python bench/search.py --articles 100000

Builds a database with the real migrations (so the FTS5 table and its triggers are the shipped
ones), fills it with articles of Zipf-distributed words (~300 words of body each), then times
`newshub_archive.search.search` (ranking, top 20, snippets, article fields) for a mix of common and
rare words, phrases, prefixes, exclusions and filtered queries. Prints the median and p95 per
kind and overall, in milliseconds.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from crawler.config import Source  # noqa: E402
from newshub_archive.search import search  # noqa: E402
from newshub_archive.selection import ArticleFilter  # noqa: E402
from pipelines.db import schema  # noqa: E402
from pipelines.db.engine import make_engine  # noqa: E402
from pipelines.db.models import ArticleRow  # noqa: E402
from pipelines.db.runs import ensure_source  # noqa: E402

LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
LETTER_WEIGHTS = (12, 9, 8, 7.5, 7, 6.7, 6.3, 6, 6, 4.3, 4, 2.8, 2.8, 2.4, 2.4, 2.2, 2, 2, 1.9, 1.5)
LETTER_WEIGHTS += (1, 0.8, 0.2, 0.15, 0.1, 0.07)
CATEGORIES = ("Politics", "Economy", "Sport", "Society", "World", "Culture")
AGENCIES = ("IRNA", "ISNA", "Tasnim News Agency", "Mehr News Agency", None)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Made-up words with English letter frequencies, most frequent first."""
    words: dict[str, None] = {}
    while len(words) < size:
        length = min(12, max(2, round(rng.gauss(6, 2))))
        words["".join(rng.choices(LETTERS, LETTER_WEIGHTS, k=length))] = None
    return list(words)


def synthetic_article(
    n: int, source_id: int, words: list[str], zipf: list[float], rng: random.Random
) -> dict[str, object]:
    """Row `n` of the articles table: Zipf words, one of the categories and agencies."""
    body = rng.choices(words, cum_weights=zipf, k=300)
    return {
        "source_id": source_id,
        "url": f"http://bench.test/{n}/",
        "title": " ".join(rng.choices(words, cum_weights=zipf, k=8)).capitalize(),
        "body": "\n".join(" ".join(body[i : i + 60]) for i in range(0, 300, 60)),
        "category": rng.choice(CATEGORIES),
        "agency": rng.choice(AGENCIES),
        "published_at": T0 + timedelta(minutes=n * 7),
        "tags": [],
        "links": [],
        "content_hash": f"{n:064x}",
        "extractor_version": "bench",
        "first_seen": T0,
        "last_seen": T0,
    }


def build(path: Path, articles: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = vocabulary(50_000, rng)
    if path.exists():
        print(f"reusing {path}")
        return words
    zipf = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    source_id = ensure_source(engine, Source(name="bench", home="http://bench.test/"))
    started = time.perf_counter()
    with engine.begin() as connection:
        for start in range(0, articles, 5000):
            rows = []
            for n in range(start, min(articles, start + 5000)):
                rows.append(synthetic_article(n, source_id, words, zipf, rng))
            connection.execute(insert(ArticleRow.__table__), rows)
    print(f"built {articles:,} articles in {time.perf_counter() - started:.1f} s ({path})")
    engine.dispose()
    return words


def queries(words: list[str], rng: random.Random) -> dict[str, list[tuple[str, ArticleFilter]]]:
    none = ArticleFilter()
    common, middle, rare = words[:50], words[200:2000], words[10000:]
    return {
        "common word": [(rng.choice(common), none) for _ in range(20)],
        "two words": [(f"{rng.choice(middle)} {rng.choice(middle)}", none) for _ in range(20)],
        "rare word": [(rng.choice(rare), none) for _ in range(20)],
        "phrase": [(f'"{rng.choice(common)} {rng.choice(middle)}"', none) for _ in range(20)],
        "prefix": [(rng.choice(middle)[:4] + "*", none) for _ in range(20)],
        "exclusion": [(f"{rng.choice(middle)} -{rng.choice(common)}", none) for _ in range(20)],
        "filtered": [
            (rng.choice(middle), ArticleFilter(category="Economy", since=T0 + timedelta(days=90)))
            for _ in range(20)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs of each query.")
    parser.add_argument("--db", type=Path, help="Keep the database here (reused if it exists).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "bench.db"
        words = build(path, args.articles, args.seed)
        engine = make_engine(f"sqlite:///{path}")
        everything: list[float] = []
        print(f"{'query kind':<14}{'median ms':>10}{'p95 ms':>9}{'hits':>7}")
        for kind, cases in queries(words, random.Random(args.seed + 1)).items():
            timings, hits = [], 0
            for text, where in cases:
                search(engine, text, where)  # warm the page cache for this query
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    hits = len(search(engine, text, where, limit=20)) or hits
                    timings.append((time.perf_counter() - started) * 1000)
            everything += timings
            p95 = statistics.quantiles(timings, n=20)[-1]
            print(f"{kind:<14}{statistics.median(timings):>10.1f}{p95:>9.1f}{hits:>7}")
        print(f"{'all':<14}{statistics.median(everything):>10.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
