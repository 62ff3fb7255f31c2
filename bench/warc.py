"""WARC write throughput: WarcWriter at the default zlib level (6) against warcio's 9.

    .venv/bin/python bench/warc.py --pages 2000

Each "page" is one fetch as a crawl archives it: a response (a demo hub article), a request
and a metadata record. Bodies come both ways a site sends them: gzip-encoded (most HTML; the
record's own gzip member then has little left to squeeze) and identity (uncompressed HTML, CSS,
JS: where the zlib level costs the most). MB/s counts the bytes handed to the writer (HTTP
headers and bodies); records/s counts WARC records written. Files go to a temporary folder.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.demo.site import DemoHub  # noqa: E402
from pipelines.warc.records import HttpExchange  # noqa: E402
from pipelines.warc.writer import WarcWriter  # noqa: E402

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def exchanges(pages: int, gzip: bool) -> list[HttpExchange]:
    """One exchange per demo article, cycling over a 200-article hub."""
    hub = DemoHub(articles=min(pages, 200), seed=3)
    base = "http://hub.example"
    made = []
    for number, article in zip(range(pages), itertools.cycle(hub.articles), strict=False):
        response = hub.render(article.path, base_url=base, accept_gzip=gzip)
        made.append(
            HttpExchange(
                url=f"{base}{article.path}?n={number}",
                method="GET",
                request_headers=[("User-Agent", "newshub-bench"), ("Host", "hub.example")],
                request_body=b"",
                protocol="HTTP/1.1",
                status=response.status,
                reason="OK",
                response_headers=list(response.headers),
                body=response.body,
                ip_address="192.0.2.1",
                fetched_at=T0 + timedelta(seconds=number),
                duration=0.05,
                via=f"{base}/",
                hops="L",
            )
        )
    return made


def run(level: int, batch: list[HttpExchange], directory: Path) -> dict[str, float]:
    directory = Path(tempfile.mkdtemp(dir=directory))
    payload = sum(
        len(e.body) + sum(len(k) + len(v) + 4 for k, v in e.response_headers) for e in batch
    )
    started = time.perf_counter()
    with WarcWriter(directory / f"level{level}", f"bench{level}", compress_level=level) as writer:
        for exchange in batch:
            writer.write_exchange(exchange)
    seconds = time.perf_counter() - started
    return {
        "level": level,
        "seconds": seconds,
        "mb_per_s": payload / seconds / 1e6,
        "records_per_s": writer.records_written / seconds,
        "file_mb": writer.bytes_written / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--levels", default="6,9", help="zlib levels to compare (default 6,9)")
    args = parser.parse_args(argv)
    print(f"{'body':>8} {'level':>5} {'seconds':>8} {'MB/s':>8} {'records/s':>10} {'file MB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for encoding in ("gzip", "identity"):
            batch = exchanges(args.pages, gzip=encoding == "gzip")
            for level in (int(v) for v in args.levels.split(",")):
                r = run(level, batch, Path(folder))
                print(
                    f"{encoding:>8} {r['level']:>5} {r['seconds']:>8.2f} {r['mb_per_s']:>8.1f} "
                    f"{r['records_per_s']:>10.0f} {r['file_mb']:>8.2f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
