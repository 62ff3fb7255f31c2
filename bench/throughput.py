"""Throughput benchmark: newshub vs a bare Scrapy visit of the same static hub, served by nginx.

    .venv/bin/python bench/throughput.py --articles 1000
    .venv/bin/python bench/throughput.py --articles 10000 --postgres postgresql://postgres@127.0.0.1/test

The demo hub (crawler.demo) is rendered once into a folder of static files, every page and
feed reachable from the home page, robots.txt and the sitemaps, and served by Debian's nginx
(`nginx-light`, gzip on, redirects as `return 301`). Then the bare link-following spider
(bench/bare_spider.py) and `newshub crawl --concurrency 16 --delay 0` crawl it, each in its
own process, in the same run. For each it prints wall time, pages/s, articles/s, CPU seconds
(user+sys of the crawl process and every process it started) per 1,000 articles, and peak RSS
(the whole process tree, sampled from /proc every 0.1 s). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crawl import _field  # noqa: E402
from crawler.demo.site import DemoHub  # noqa: E402

NGINX = "/usr/sbin/nginx"
LINK = re.compile(rb"""(?:href|src)=["']([^"'#]+)|<loc>([^<]+)</loc>|<link>([^<]+)</link>""")
XML_TYPES = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_site(articles: int, seed: int, base: str, folder: Path) -> tuple[int, list[str]]:
    """Write every page reachable from the hub's entry points as a static file: (files,
    nginx `location` lines for its redirects). Query strings are dropped: nginx serves the
    path's file for any query, as WordPress serves the page for a tracking parameter."""
    hub = DemoHub(articles, seed=seed)
    todo = ["/", "/robots.txt", "/sitemap_index.xml", "/feed/", "/feed/atom/"]
    seen, files, redirects = set(todo), 0, []
    while todo:
        path = todo.pop()
        resp = hub.render(path, base_url=base, accept_gzip=False)
        if resp.status in (301, 302):
            location = resp.header("Location") or ""
            redirects.append(f"location = {path} {{ return {resp.status} {location}; }}")
            targets = [location.encode()]
        elif resp.status == 200:
            ctype = (resp.header("Content-Type") or "").split(";")[0]
            name = path
            if path.endswith("/"):
                name += "index.xml" if ctype in XML_TYPES else "index.html"
            target = folder / name.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(resp.body)
            files += 1
            targets = [next(g for g in m.groups() if g) for m in LINK.finditer(resp.body)]
        else:
            continue
        for raw in targets:
            url = raw.decode("utf-8", "replace").replace("&amp;", "&").strip()
            if url.startswith(base):
                url = url[len(base) :] or "/"
            if not url.startswith("/") or url.startswith("//"):
                continue
            url = url.split("?")[0].split("#")[0]
            if re.fullmatch(r"[A-Za-z0-9/_.\-]+", url) and url not in seen:
                seen.add(url)
                todo.append(url)
    return files, redirects


def start_nginx(site: Path, work: Path, port: int, redirects: list[str]) -> subprocess.Popen:
    conf = work / "nginx.conf"
    for sub in ("client", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / sub).mkdir(exist_ok=True)
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    gzip on;
    gzip_types text/css application/javascript application/xml application/rss+xml
               application/atom+xml text/xml text/plain;
    client_body_temp_path {work}/client; proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        index index.html index.xml;
        {chr(10).join(redirects)}
    }}
}}
"""
    )
    server = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(work), "-e", f"{work}/error.log"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if server.poll() is not None:
                log = (work / "error.log").read_text()[-500:]
                raise SystemExit(f"nginx exited: {log}") from None
            time.sleep(0.05)
    server.terminate()
    raise SystemExit("nginx did not start listening within 10 s")


def _tree(pid: int) -> list[int]:
    pids, i = [pid], 0
    while i < len(pids):
        try:
            for task in os.listdir(f"/proc/{pids[i]}/task"):
                with open(f"/proc/{pids[i]}/task/{task}/children") as f:
                    pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        i += 1
    return pids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _forked(pid: int, root: int) -> bool:
    """Whether pid is a copy of the crawl process that has not exec'd its own program yet."""
    return pid != root and _cmdline(pid) == _cmdline(root)


def _role(pid: int, root: int) -> str:
    """What a process of the crawl's tree is, for the per-process peaks."""
    if pid == root:
        return "crawl process"
    return "extraction worker" if b"crawler.extraction.worker" in _cmdline(pid) else "other"


# Peak RSS in MiB of each kind of process of the last measured crawl (printed with --detail).
LAST_PEAKS: dict[str, int] = {}


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user+sys, the child and its reaped children), peak RSS of
    the process tree in MiB (sampled: ru_maxrss would count this process's pages, which
    Linux keeps as the child's maximum across the fork and exec), and its stdout."""
    peak = [0]
    roles: dict[str, int] = {}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                # A child between fork and exec (an extraction worker starting) still maps all
                # of the crawl process's pages: counting them would count that memory twice.
                sizes = {p: _rss_kib(p) for p in _tree(child.pid) if not _forked(p, child.pid)}
                peak[0] = max(peak[0], sum(sizes.values()))
                for p, size in sizes.items():
                    role = _role(p, child.pid)
                    roles[role] = max(roles.get(role, 0), size)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[1:4])} failed:\n{output[-2000:]}{errors[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    LAST_PEAKS.clear()
    LAST_PEAKS.update({role: size // 1024 for role, size in roles.items()})
    return elapsed, cpu, peak[0] // 1024, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", help="database URL for newshub (default: SQLite)")
    parser.add_argument("--only", choices=("newshub", "bare"), help="run one crawler")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--detail", action="store_true", help="also print each process's peak RSS")
    args = parser.parse_args()
    if not os.access(NGINX, os.X_OK):
        print(f"{NGINX} not found: apt-get install nginx-light", file=sys.stderr)
        return 2

    results: dict[str, tuple[float, float, int, int, int]] = {}
    peaks: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="newshub-throughput-") as tmp:
        work, site, data = Path(tmp), Path(tmp, "site"), Path(tmp, "data")
        work.chmod(0o755)  # nginx's worker process runs as another user
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        files, redirects = build_site(args.articles, args.seed, base, site)
        built = time.perf_counter() - started
        server = start_nginx(site, work, port, redirects)
        try:
            env = {**os.environ, "NEWSHUB_DATA_DIR": str(data)}
            env.pop("NEWSHUB_DATABASE_URL", None)
            if args.postgres:
                env["NEWSHUB_DATABASE_URL"] = args.postgres
            if args.only != "newshub":
                bare = [sys.executable, str(ROOT / "bench" / "bare_spider.py"), base + "/"]
                seconds, cpu, rss, output = measure([*bare, str(args.concurrency), "paths"], env)
                pages, articles = (int(n) for n in output.split()[-2:])
                results["bare scrapy"] = (seconds, cpu, rss, pages, articles)
            if args.only != "bare":
                newshub = [sys.executable, "-m", "crawler", "crawl", "--url", base + "/"]
                newshub += ["--name", "bench", "--concurrency", str(args.concurrency)]
                seconds, cpu, rss, output = measure([*newshub, "--delay", "0"], env)
                pages = int(_field(output, "pages"))
                articles = int(_field(output, "articles"))
                results["newshub"] = (seconds, cpu, rss, pages, articles)
                peaks = dict(LAST_PEAKS)
        finally:
            server.terminate()
            server.wait()
            shutil.rmtree(data, ignore_errors=True)

    if args.json:
        keys = ("seconds", "cpu_seconds", "rss_mib", "pages", "articles")
        print(json.dumps({k: dict(zip(keys, v, strict=True)) for k, v in results.items()}))
        return 0
    print(
        f"hub: {args.articles} articles, {files} static files (built in {built:.0f} s), "
        f"nginx {base}, concurrency {args.concurrency}, {os.cpu_count()} cores, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    print(
        f"{'crawler':<12} {'pages':>6} {'articles':>8} {'wall s':>7} {'pages/s':>8} "
        f"{'articles/s':>10} {'CPU s/1k art':>12} {'peak RSS':>9}"
    )
    for name, (seconds, cpu, rss, pages, articles) in results.items():
        print(
            f"{name:<12} {pages:>6} {articles:>8} {seconds:>7.1f} {pages / seconds:>8.1f} "
            f"{articles / seconds:>10.1f} {cpu * 1000 / max(articles, 1):>12.1f} {rss:>5} MiB"
        )
    if len(results) == 2:
        ratio = results["bare scrapy"][0] / results["newshub"][0]
        print(f"wall ratio bare/newshub: {ratio:.2f}")
    if args.detail and "newshub" in results:
        print("newshub peak RSS by process:", ", ".join(f"{k} {v} MiB" for k, v in peaks.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
