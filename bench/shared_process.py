"""Several sources in one crawl process vs one process per source: memory and CPU per page.

    .venv/bin/python bench/shared_process.py --hubs 8 --articles 20 --database-url URL

"separate": `newshub crawl SOURCE` per hub, all at once (what the daemon and the workers do).
"shared": one process runs every hub's crawl in one Twisted reactor (Scrapy runs many
crawlers side by side), each with its own run row, lock and settings, as crawler.runner
would. Measured: wall time, the peak of the summed RSS of the crawl processes, CPU seconds
per archived page.
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


def shared_child(config: Path) -> None:
    """Child process: crawl every configured source in one reactor."""
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.reactor import install_reactor

    from crawler import settings as default_settings
    from crawler.config import load_sources, resolve_paths
    from crawler.locks import source_lock
    from crawler.run_summary import summarize
    from crawler.runner import CrawlOptions, _begin, _record, build_settings
    from crawler.spiders.hub import HubSpider
    from pipelines.db.engine import open_engine

    paths = resolve_paths()
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_engine(paths.database_url)
    options = CrawlOptions(trigger="manual")
    crawlers: list[tuple[Any, Crawler, Any, Any]] = []
    process = None
    for source in load_sources(config).values():
        lock = source_lock(engine, source.name)
        source_id, run_id, run_uuid = _begin(engine, lock, source, paths, options)
        settings = build_settings(
            source, paths, options, source_id=source_id, run_id=run_id, run_uuid=run_uuid
        )
        settings.set("LOG_FILE", str(paths.data_dir / f"{source.name}.log"), priority="cmdline")
        if process is None:
            # The process's own settings are merged into every crawler's: only the defaults,
            # so each crawler keeps its own run's values.
            base = Settings()
            base.setmodule(default_settings, priority="project")
            base.set("LOG_FILE", str(paths.data_dir / "shared.log"), priority="project")
            process = CrawlerProcess(base)
            install_reactor(settings["TWISTED_REACTOR"])
        crawler = Crawler(HubSpider, settings)
        process.crawl(crawler, source=source)
        crawlers.append((source, crawler, run_id, lock))
    started = time.monotonic()
    assert process is not None
    process.start()
    for source, crawler, run_id, lock in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        took = time.monotonic() - started
        summary = summarize(source, run_id, stats, crawler.spider, took)  # type: ignore[arg-type]
        _record(engine, summary, stats)
        lock.release()
    engine.dispose()


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
    if mode == "shared":
        commands = [[sys.executable, __file__, "--child", str(config)]]
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
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        shared_child(Path(args.child))
        return
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
