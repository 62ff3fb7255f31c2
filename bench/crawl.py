"""Crawl benchmark: newshub vs a bare Scrapy crawl of the same generated hub, in one run.

    .venv/bin/python bench/crawl.py --articles 2000 --concurrency 16

The demo hub is served from its own process so the server does not share the crawler's GIL.
Each crawl runs in a child process; peak RSS is that child's maximum resident set size.
"articles" counts distinct articles found; "pages" every response, so the bare crawl's extra
pages are the share, reply and tracking-parameter duplicates newshub never fetches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("seconds", "rss_mib", "pages", "articles", "warc_bytes")


def start_server(articles: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "crawler.demo.server", "--port", "0"]
    command += ["--articles", str(articles), "--seed", str(seed)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdout is not None
    for line in server.stdout:
        if "http://" in line:
            url = line[line.index("http://") :].split()[0].rstrip("/")
            return server, url
    raise RuntimeError("demo server did not print its URL")


def measure(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB, and stdout of one child process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[2:4]} failed:\n{output}")
    return elapsed, usage.ru_maxrss // 1024, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    server, url = start_server(args.articles, args.seed)
    results = {}
    try:
        with tempfile.TemporaryDirectory() as data:
            env = {**os.environ, "NEWSHUB_DATA_DIR": data, "NEWSHUB_DATABASE_URL": ""}
            env.pop("NEWSHUB_DATABASE_URL")
            newshub = [sys.executable, "-m", "crawler.cli", "crawl", "--url", url + "/"]
            newshub += ["--name", "bench", "--concurrency", str(args.concurrency), "--delay", "0"]
            seconds, rss, output = measure(newshub, env)
            pages = int(_field(output, "pages"))
            articles = int(_field(output, "articles"))
            warc_bytes = sum(p.stat().st_size for p in Path(data, "warcs").glob("*.warc.gz"))
            results["newshub"] = (seconds, rss, pages, articles, warc_bytes)

            bare = [sys.executable, str(ROOT / "bench" / "bare_spider.py"), url + "/"]
            seconds, rss, output = measure([*bare, str(args.concurrency)], env)
            pages, articles = (int(n) for n in output.split())
            results["bare scrapy"] = (seconds, rss, pages, articles, 0)
    finally:
        server.terminate()
        server.wait()

    if args.json:
        print(
            json.dumps(
                {name: dict(zip(COLUMNS, row, strict=True)) for name, row in results.items()}
            )
        )
        return 0
    print(f"hub: {args.articles} articles, concurrency {args.concurrency}, {os.cpu_count()} cores")
    print(
        f"{'crawler':<12} {'pages':>6} {'articles':>8} {'seconds':>8} {'pages/s':>8} "
        f"{'articles/s':>10} {'peak RSS':>9} {'WARC MB':>8}"
    )
    for name, (seconds, rss, pages, articles, warc_bytes) in results.items():
        print(
            f"{name:<12} {pages:>6} {articles:>8} {seconds:>8.1f} {pages / seconds:>8.1f} "
            f"{articles / seconds:>10.1f} {rss:>6} MiB {warc_bytes / 1e6:>8.1f}"
        )
    return 0


def _field(summary: str, name: str) -> str:
    """The first number on the summary line that starts with `name`."""
    for line in summary.splitlines():
        if line.startswith(name):
            return line.split()[1]
    raise RuntimeError(f"no {name!r} line in the crawl summary:\n{summary}")


if __name__ == "__main__":
    sys.exit(main())
