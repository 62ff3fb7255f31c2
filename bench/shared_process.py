"""Several sources in one crawl process vs one process per source: memory and CPU per page.

    .venv/bin/python bench/shared_process.py --hubs 8 --articles 20 --database-url URL

"separate": `newshub crawl SOURCE` per hub, all at once (crawls_per_process = 1).
"shared": `newshub crawl hub0 hub1 ...`, one process running every hub's crawl in one
Twisted reactor (crawler.batch: a crawler each, with its own run row, lock, settings and log),
what the daemon and the workers do with crawls_per_process. Measured: wall time, the peak of
the summed RSS of the crawl processes, CPU seconds per archived page.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from density import _reset, descendants_rss_mib  # noqa: E402


def run_sampled(commands: list[list[str]], env: dict[str, str]) -> tuple[list[int], float]:
    """Run the commands at once; their exit codes and the peak of their summed RSS (MiB)."""
    children = [
        subprocess.Popen(c, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for c in commands
    ]
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, descendants_rss_mib(os.getpid()))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    codes = [child.wait() for child in children]
    stop.set()
    sampler.join()
    return codes, peak


def one_round(mode: str, urls: list[str], database_url: str, work: Path) -> list[dict[str, Any]]:
    """A first crawl of every hub, then a recrawl (the hubs unchanged): one result each."""
    from sqlalchemy import func, select

    from pipelines.db.engine import make_engine
    from pipelines.db.models import CrawlRun
    from pipelines.db.schema import upgrade

    config = work / "newshub.toml"
    config.write_text(
        "".join(
            f'[[source]]\nname = "hub{i}"\nhome = "{url}/"\nconcurrency = 2\ndelay = 0.2\n'
            for i, url in enumerate(urls)
        )
    )
    env = {
        **os.environ,
        "NEWSHUB_DATA_DIR": str(work / "data"),
        "NEWSHUB_DATABASE_URL": database_url,
    }
    engine = make_engine(database_url)
    upgrade(engine)
    if mode == "shared":  # the adopted path: `newshub crawl hub0 hub1 ...` (crawler.batch)
        names = [f"hub{i}" for i in range(len(urls))]
        commands = [[sys.executable, "-m", "crawler.cli", "-c", str(config), "crawl", *names]]
    else:
        commands = [
            [sys.executable, "-m", "crawler.cli", "-c", str(config), "crawl", f"hub{i}"]
            for i in range(len(urls))
        ]
    results = []
    last_run = 0
    for crawl in ("first", "recrawl"):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        codes, peak = run_sampled(commands, env)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with engine.connect() as connection:
            pages, finished, newest = connection.execute(
                select(
                    func.sum(CrawlRun.pages_fetched),
                    func.count().filter(CrawlRun.status == "finished"),
                    func.max(CrawlRun.id),
                ).where(CrawlRun.id > last_run)
            ).one()
        last_run = newest or last_run
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        results.append(
            {
                "mode": mode,
                "crawl": crawl,
                "hubs": len(urls),
                "exit_codes": sorted(set(codes)),
                "crawls_finished": finished,
                "wall_s": round(wall, 1),
                "peak_rss_mib": round(peak),
                "pages": int(pages or 0),
                "cpu_s": round(cpu, 1),
                "cpu_ms_per_page": round(1000 * cpu / max(int(pages or 0), 1), 1),
            }
        )
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubs", type=int, default=8)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--database-url", required=False)
    parser.add_argument("--modes", default="separate,shared")
    args = parser.parse_args()
    command = [sys.executable, str(ROOT / "bench" / "density.py"), "--serve"]
    server = subprocess.Popen(
        [*command, "--hubs", str(args.hubs), "--articles", str(args.articles)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    urls = [server.stdout.readline().strip() for _ in range(args.hubs)]
    try:
        for mode in args.modes.split(","):
            with tempfile.TemporaryDirectory() as work:
                url = args.database_url or f"sqlite:///{work}/newshub.db"
                if args.database_url:
                    _reset(url)
                for result in one_round(mode, urls, url, Path(work)):
                    print(json.dumps(result), flush=True)
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
