"""Several sources in one crawl process (crawler.batch), through `newshub crawl A B C`.

Three demo hubs on loopback ports crawled by one real process, on SQLite and PostgreSQL: a run
row each from the same pid, every article stored once under its own source, WARC files and a
log file per source. Then the same three again, one source's lock held by another process and
another source unreachable: that one skipped, that one failed, the third finished, exit 1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from crawler.batch import EX_FAILED, EX_OK, EX_TEMPFAIL, Outcome, exit_code
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, CrawlRun, SourceRow
from tests.newshub_process import newshub

ARTICLES = {"hub0": 6, "hub1": 8, "hub2": 10}
HOLD = """
import sys, time
from crawler.locks import source_lock
from pipelines.db.engine import make_engine
lock = source_lock(make_engine(sys.argv[1]), sys.argv[2])
print(lock.acquire(), flush=True)
time.sleep(120)
"""


# Each source's own politeness: hub2 is slow.
DELAYS = {"hub0": 0, "hub1": 0, "hub2": 0.05}


def _config(path: Path, homes: dict[str, str]) -> Path:
    path.write_text(
        "".join(
            f'[[source]]\nname = "{name}"\nhome = "{home}"\nconcurrency = 4\n'
            f"delay = {DELAYS[name]}\n"
            for name, home in homes.items()
        )
    )
    return path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_exit_status_is_the_worst_outcome() -> None:
    def of(*codes: int) -> int:
        return exit_code([Outcome(f"s{i}", code) for i, code in enumerate(codes)])

    assert of(EX_OK, EX_OK) == EX_OK
    assert of(EX_OK, EX_TEMPFAIL) == EX_TEMPFAIL
    assert of(EX_TEMPFAIL, EX_FAILED, EX_OK) == EX_FAILED


def test_three_hubs_in_one_process(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    servers = [DemoServer(DemoHub(n, seed=i + 3)) for i, n in enumerate(ARTICLES.values())]
    for server in servers:
        server.start()
    try:
        homes = {name: s.url + "/" for name, s in zip(ARTICLES, servers, strict=True)}
        config = _config(tmp_path / "newshub.toml", homes)
        done = newshub("-c", str(config), "crawl", *ARTICLES, data=data, database_url=database_url)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        # A line each, as each source ends.
        assert sorted(line.split()[:2] for line in lines) == [[n, "finished"] for n in ARTICLES]

        # Again: hub1's lock held elsewhere, hub2's site gone.
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, database_url, "hub1"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
            homes["hub2"] = f"http://127.0.0.1:{_closed_port()}/"
            _config(config, homes)
            again = newshub(
                "-c", str(config), "crawl", *ARTICLES, data=data, database_url=database_url
            )
        finally:
            holder.kill()
            holder.wait()
    finally:
        for server in servers:
            server.stop()
    assert again.returncode == 1, again.stderr
    outcomes = sorted(line.split(maxsplit=2) for line in again.stdout.splitlines())
    assert [o[:2] for o in outcomes] == [
        ["hub0", "finished"],
        ["hub1", "skipped"],
        ["hub2", "failed"],
    ], again.stdout
    assert "already being crawled" in outcomes[1][2]
    assert "cannot reach" in outcomes[2][2]

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            runs = connection.execute(
                select(
                    SourceRow.name,
                    CrawlRun.id,
                    CrawlRun.status,
                    CrawlRun.hostname,
                    CrawlRun.pid,
                    CrawlRun.warc_files,
                    CrawlRun.finished_at,
                )
                .join(SourceRow)
                .order_by(CrawlRun.id)
            ).all()
            stored = dict(
                connection.execute(
                    select(SourceRow.name, func.count(ArticleRow.id))
                    .join(SourceRow)
                    .group_by(SourceRow.name)
                ).all()
            )
            urls = connection.execute(select(ArticleRow.url)).scalars().all()
    finally:
        engine.dispose()
    first, second = runs[:3], runs[3:]
    assert [(run.name, run.status) for run in first] == [(n, "finished") for n in ARTICLES]
    assert len({(run.hostname, run.pid) for run in first}) == 1, "one crawl process"
    assert stored == ARTICLES and max(Counter(urls).values()) == 1
    # A quick source's run is recorded (and its lock released) when it ends, not with the last.
    assert (first[2].finished_at - first[0].finished_at).total_seconds() > 1
    for run in first:
        name = run.name
        assert run.warc_files and all(Path(f).name.startswith(name) for f in run.warc_files)
        log = (data / "logs" / f"{name}-{run.id}.log").read_text()
        assert "Spider closed (finished)" in log
        written = [line for line in log.splitlines() if "WARC files written" in line]
        assert len(written) == 1 and f": {name}-" in written[0], "another source's lines"
    assert sorted((run.name, run.status) for run in second) == [
        ("hub0", "finished"),
        ("hub1", "skipped"),
        ("hub2", "failed"),
    ]
    process_logs = sorted((data / "logs").glob("batch-*.log"))
    assert len(process_logs) == 2
    process_log = process_logs[0].read_text()
    assert "Scrapy" in process_log and "Spider closed" not in process_log
