"""Density benchmark: many small hubs due at once on one host, unbounded vs bounded.

    .venv/bin/python bench/density.py --hubs 40 --articles 20 [--bound 8] [--database-url URL]

Every hub is a generated demo hub on its own loopback port (all served from one helper
process). The scheduler daemon (crawler.scheduling.daemon) gets all of them due at once:
"today" runs one crawl process per due source at the same time (the daemon's behaviour before
`max_concurrent_crawls`), "bounded" at most --bound at once (default: the host's default), the
rest waiting in order of how overdue they are; "batched" at most --bound processes of up to
--crawls-per-process sources each (crawler.scheduling.batches, the daemon's default now).
Measured: wall time until every crawl has closed its run, and the peak of the summed resident
memory of all crawl processes (sampled from /proc every 0.2 s), plus CPU seconds of the crawls
(their rusage) per archived page.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve(hubs: int, articles: int) -> None:
    """Helper process: serve `hubs` demo hubs, print their URLs, run until killed."""
    from crawler.demo.server import DemoServer
    from crawler.demo.site import DemoHub

    servers = [DemoServer(DemoHub(articles, seed=100 + i)) for i in range(hubs)]
    for server in servers:
        server.start()
        print(server.url, flush=True)
    threading.Event().wait()


def descendants_rss_mib(root: int) -> float:
    """Summed VmRSS of every process below `root` (MiB)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def one_round(
    urls: list[str], bound: int, per_process: int, database_url: str | None, work: Path
) -> dict:
    from sqlalchemy import func, select

    from crawler.config import load_sources
    from crawler.scheduling import daemon as daemon_module
    from crawler.scheduling.daemon import Daemon, DaemonOptions
    from pipelines.db.engine import make_engine
    from pipelines.db.models import CrawlRun
    from pipelines.db.schema import upgrade

    config = work / "newshub.toml"
    config.write_text(
        "".join(
            f'[[source]]\nname = "hub{i}"\nhome = "{url}/"\nschedule = "every 1h"\n'
            "concurrency = 2\ndelay = 0.2\n"
            for i, url in enumerate(urls)
        )
    )
    url = database_url or f"sqlite:///{work / 'newshub.db'}"
    os.environ.update({"NEWSHUB_DATA_DIR": str(work / "data"), "NEWSHUB_DATABASE_URL": url})
    engine = make_engine(url)
    upgrade(engine)
    options = DaemonOptions(
        max_concurrent_crawls=bound, jitter=0, crawls_per_process=per_process, batch_window=1
    )
    daemon = Daemon(load_sources(config), config, options)
    scheduler = daemon.build(engine)
    now = datetime.now(UTC)
    for i in range(len(urls)):  # all overdue, hub0 the most
        scheduler.modify_job(f"hub{i}", next_run_time=now - timedelta(seconds=60 - i))
    daemon_module._daemon = daemon
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    runner = threading.Thread(target=scheduler.start, daemon=True)
    runner.start()
    peak = 0.0
    done = 0
    while done < len(urls):
        peak = max(peak, descendants_rss_mib(os.getpid()))
        time.sleep(0.2)
        with engine.connect() as connection:
            done = connection.execute(
                select(func.count())
                .select_from(CrawlRun)
                .where(CrawlRun.finished_at.is_not(None), CrawlRun.status != "skipped")
            ).scalar_one()
    wall = time.perf_counter() - started
    deadline = time.monotonic() + 30
    while daemon._children and time.monotonic() < deadline:  # let the last ones exit
        time.sleep(0.1)
    daemon.stop()
    runner.join(30)
    daemon_module._daemon = None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with engine.connect() as connection:
        pages = connection.execute(select(func.sum(CrawlRun.pages_fetched))).scalar_one()
        finished = connection.execute(
            select(func.count()).where(CrawlRun.status == "finished")
        ).scalar_one()
    engine.dispose()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "bound": bound,
        "crawls_per_process": per_process,
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(peak),
        "crawls_finished": finished,
        "pages": int(pages or 0),
        "cpu_s": round(cpu, 1),
        "cpu_ms_per_page": round(1000 * cpu / max(int(pages or 0), 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubs", type=int, default=40)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--bound", type=int, help="bounded run's max_concurrent_crawls")
    parser.add_argument("--database-url", help="default: a SQLite file per round")
    parser.add_argument("--modes", default="today,bounded,batched")
    parser.add_argument("--crawls-per-process", type=int, default=8, help="batched mode's")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.hubs, args.articles)
        return
    from crawler.scheduling.density import default_max_concurrent_crawls

    bound = args.bound or default_max_concurrent_crawls()
    command = [sys.executable, __file__, "--serve", "--hubs", str(args.hubs)]
    server = subprocess.Popen(
        [*command, "--articles", str(args.articles)], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    urls = [server.stdout.readline().strip() for _ in range(args.hubs)]
    try:
        for mode in args.modes.split(","):
            if args.database_url:
                _reset(args.database_url)
            with tempfile.TemporaryDirectory() as work:
                processes = args.hubs if mode == "today" else bound
                per_process = args.crawls_per_process if mode == "batched" else 1
                result = one_round(urls, processes, per_process, args.database_url, Path(work))
            print(json.dumps({"mode": mode, "hubs": args.hubs, **result}), flush=True)
    finally:
        server.kill()
        server.wait()


def _reset(url: str) -> None:
    """Empty the benchmark's PostgreSQL database between rounds."""
    from sqlalchemy import text

    from pipelines.db.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
