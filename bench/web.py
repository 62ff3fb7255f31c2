"""Web interface benchmark: p95 latency of the search page and the article page over 100,000
articles, on SQLite and PostgreSQL (targets: search < 100 ms, article < 50 ms).

    .venv/bin/python bench/web.py --articles 100000 [--postgres postgresql://postgres@127.0.0.1/test]

The archive is built with the real migrations and the synthetic articles of bench/search.py
(Zipf words, ~300 a body), each with the capture and the version a crawl would store. Pages are
requested through FastAPI's TestClient, so a timing covers routing, the queries (hits, count
and facet counts, or the article, its captures and versions) and the Jinja2 rendering; not the
network. Prints p50 and p95 per kind of request, in milliseconds: wall time, and CPU time (the
benchmark process plus, on PostgreSQL, its server backends, read from /proc: the server must be
local). On a machine shared with other work, wall time grows with the load; CPU time does not,
and it is what a quiet machine's wall time comes close to.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT.parent), str(ROOT)]

import search as search_bench  # noqa: E402  (bench/search.py)
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from crawler.config import Source  # noqa: E402
from newshub_archive.web.app import create_app  # noqa: E402
from newshub_archive.web.security import Credentials  # noqa: E402
from pipelines.db import schema  # noqa: E402
from pipelines.db.engine import make_engine  # noqa: E402
from pipelines.db.models import ArticleRow, ArticleVersion, Capture  # noqa: E402
from pipelines.db.runs import ensure_source  # noqa: E402

BATCH = 5000


def build(engine: Engine, articles: int, seed: int) -> list[str]:
    """Fill a migrated database: articles, one capture and one version each; returns the words."""
    rng = random.Random(seed)
    words = search_bench.vocabulary(50_000, rng)
    zipf = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    source_id = ensure_source(engine, Source(name="bench", home="http://bench.test/"))
    started = time.perf_counter()
    for start in range(0, articles, BATCH):
        rows, captures, versions = [], [], []
        for n in range(start, min(articles, start + BATCH)):
            row = search_bench.synthetic_article(n, source_id, words, zipf, rng)
            record = f"<urn:uuid:{uuid.UUID(int=n + 1)}>"
            when = search_bench.T0 + timedelta(minutes=n * 7, seconds=30)
            row["warc_record_id"], row["first_seen"], row["last_seen"] = record, when, when
            captures.append(
                {
                    "source_id": source_id, "url": row["url"], "status": 200,
                    "content_type": "text/html", "fetched_at": when, "size": 20_000,
                    "payload_digest": f"sha1:{n:032d}", "record_type": "response",
                    "warc_file": f"bench-{n // 10_000:05d}.warc.gz", "warc_offset": n * 9000,
                    "warc_length": 9000, "warc_record_id": record,
                }
            )  # fmt: skip
            versions.append(
                {
                    "article_id": n + 1, "content_hash": row["content_hash"],
                    "warc_record_id": record, "captured_at": when, "extractor_version": "bench",
                    "fields": {"title": row["title"], "body": row["body"]},
                }
            )  # fmt: skip
            rows.append(row)
        with engine.begin() as connection:
            connection.execute(insert(Capture.__table__), captures)
            connection.execute(insert(ArticleRow.__table__), rows)
            connection.execute(insert(ArticleVersion.__table__), versions)
    print(f"  built {articles:,} articles in {time.perf_counter() - started:.0f} s")
    return words


def requests(words: list[str], articles: int, rng: random.Random) -> dict[str, list[str]]:
    common, middle, rare = words[:50], words[200:2000], words[10000:]

    def page(**params: object) -> str:
        return "/?" + urlencode(params)

    def twenty(make: Callable[[], str]) -> list[str]:
        return [make() for _ in range(20)]

    return {
        "search: common word": twenty(lambda: page(q=rng.choice(common))),
        "search: two words": twenty(lambda: page(q=f"{rng.choice(middle)} {rng.choice(middle)}")),
        "search: rare word": twenty(lambda: page(q=rng.choice(rare))),
        "search: phrase": twenty(lambda: page(q=f'"{rng.choice(common)} {rng.choice(middle)}"')),
        "search: prefix": twenty(lambda: page(q=rng.choice(middle)[:4] + "*")),
        "search: facet + date": twenty(
            lambda: page(q=rng.choice(middle), category="Economy", since="2025-04-01")
        ),
        "search: by date, page 3": twenty(lambda: page(q=rng.choice(middle), sort="date", page=3)),
        "search: no words": twenty(lambda: page(agency="IRNA", page=rng.randint(1, 50))),
        "article page": [f"/articles/{rng.randint(1, articles)}" for _ in range(100)],
    }


class CpuClock:
    """CPU seconds of this process and of the PostgreSQL backends serving `engine`."""

    def __init__(self, engine: Engine) -> None:
        self.backends: set[int] = set()
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._remember_backend)

    def _remember_backend(self, dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_backend_pid()")
        self.backends.add(cursor.fetchone()[0])
        cursor.close()

    def seconds(self) -> float:
        ticks = 0
        for pid in self.backends:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a backend that has exited
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return time.process_time() + ticks / os.sysconf("SC_CLK_TCK")


def measure(
    client: TestClient, paths: list[str], repeat: int, clock: CpuClock
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each timed request."""
    walls, cpus = [], []
    for path in paths:
        assert client.get(path).status_code == 200, path  # warm this query's pages
        for _ in range(repeat):
            started, cpu = time.perf_counter(), clock.seconds()
            response = client.get(path)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((clock.seconds() - cpu) * 1000)
            assert response.status_code == 200, path
    return walls, cpus


def run(label: str, engine: Engine, args: argparse.Namespace) -> None:
    print(f"{label}:")
    schema.upgrade(engine)
    words = build(engine, args.articles, args.seed)
    # Planner statistics (and PostgreSQL's visibility map, for index-only scans), as
    # autovacuum would have them on a live archive.
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))
    clock = CpuClock(engine)
    app = create_app(engine, replay_base="http://127.0.0.1:8080", credentials=Credentials())
    print(f"  {'request':<26}{'p50 ms':>8}{'p95 ms':>8}{'CPU p50':>9}{'CPU p95':>9}")
    search_walls: list[float] = []
    search_cpus: list[float] = []
    with TestClient(app) as client:
        for kind, paths in requests(words, args.articles, random.Random(args.seed + 1)).items():
            walls, cpus = measure(client, paths, args.repeat, clock)
            if kind.startswith("search"):
                search_walls += walls
                search_cpus += cpus
            print(f"  {kind:<26}{_row(walls, cpus)}")
    print(f"  {'search page, all kinds':<26}{_row(search_walls, search_cpus)}")
    engine.dispose()


def _row(walls: list[float], cpus: list[float]) -> str:
    return f"{_p(walls, 50):>8.1f}{_p(walls, 95):>8.1f}{_p(cpus, 50):>9.1f}{_p(cpus, 95):>9.1f}"


def _p(timings: list[float], percent: int) -> float:
    return statistics.quantiles(timings, n=100)[percent - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="Timed requests of each path.")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="Also on PostgreSQL (a scratch database is created there).",
    )
    args = parser.parse_args()
    with TemporaryDirectory() as folder:
        run("SQLite", make_engine(f"sqlite:///{Path(folder) / 'bench.db'}"), args)
    if args.postgres:
        with scratch_database(args.postgres) as url:
            run("PostgreSQL", make_engine(url), args)


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server `url` names, dropped afterwards."""
    server = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"newshub_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
