"""`newshub search/show/stats/export/verify` in-process: thin commands, one-line errors.

The last test crawls a small demo hub for real (a subprocess, as in tests/spiders/test_hub.py)
and audits the archive it leaves before and after damaging it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import main
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from pipelines.db import schema
from pipelines.db.engine import make_engine
from tests.newshub_archive.sample_archive import T0, Page, archive
from tests.newshub_process import newshub

PAGES = [
    Page("one", "Oil deal signed", "Ministers signed the accord.\nA purple elephant watched.",
         T0 - timedelta(days=2), "Economy", "IRNA", "alpha"),
    Page("two", "Match report", "The oil-funded club won.", T0, "Sport", "ISNA", "beta"),
]  # fmt: skip
EDITED = Page("one", "Oil deal signed", "Ministers signed the accord.\nNobody watched.",
              T0 - timedelta(days=2), "Economy", "IRNA", "alpha")  # fmt: skip


class Runner:
    def __init__(self, data: Path, database_url: str) -> None:
        self.data = data
        self.env = {
            "NEWSHUB_DATA_DIR": str(data),
            "NEWSHUB_DATABASE_URL": database_url,
            "NEWSHUB_REPLAY_URL": "http://replay.test",
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env)


@pytest.fixture
def run(tmp_path: Path, database_url: str) -> Runner:
    """An archive of PAGES (one article edited once) and a way to run `newshub` on it."""
    engine = make_engine(database_url)
    schema.upgrade(engine)
    archive(engine, tmp_path / "data" / "warcs", PAGES)
    archive(engine, tmp_path / "data" / "warcs", [EDITED], fetched_at=T0 + timedelta(days=1))
    engine.dispose()
    return Runner(tmp_path / "data", database_url)


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    return lines[0]


def test_search_formats_and_errors(run: Runner) -> None:
    table = run("search", "oil")
    assert table.exit_code == 0, table.output
    header, first = table.stdout.splitlines()[:2]
    assert header.split()[:4] == ["ID", "PUBLISHED", "SOURCE", "TITLE"]
    assert first.split()[1:4] == ["2026-04-29", "alpha", "Oil"]
    assert table.stdout.splitlines()[-1] == "2 articles"
    hits = json.loads(run("search", "oil", "--format", "json", "--source", "beta").stdout)
    assert [hit["title"] for hit in hits] == ["Match report"] and "[oil" in hits[0]["snippet"]
    rows = list(csv.DictReader(io.StringIO(run("search", "oil*", "--format", "csv").stdout)))
    assert len(rows) == 2 and rows[0]["title"] == "Oil deal signed"
    assert json.loads(run("search", "elephant", "--format", "json").stdout) == []  # edited out
    nothing = run("search", "'; DROP TABLE articles; --")
    assert nothing.exit_code == 0 and "no articles match" in nothing.stderr
    assert "not a date" in one_line_error(run("search", "oil", "--since", "last week"))
    assert "too long" in one_line_error(run("search", " ".join(["oil"] * 5000)))
    assert "not before" in one_line_error(
        run("search", "oil", "--since", "2026-05-02", "--until", "2026-05-01")
    )


def test_show(run: Runner) -> None:
    text = run("show", "1", "--versions", "--diff")
    assert text.exit_code == 0, text.output
    assert "captures (2)" in text.stdout and "versions (2)" in text.stdout
    assert "-A purple elephant watched." in text.stdout and "+Nobody watched." in text.stdout
    assert "http://replay.test/newshub/20260502120000/http://alpha.test/one/" in text.stdout
    data = json.loads(run("show", "http://beta.test/two/", "--format", "json").stdout)
    assert data["article"]["title"] == "Match report" and "versions" not in data
    assert data["captures"][0]["warc_offset"] > 0
    assert "no article with id 99" in one_line_error(run("show", "99"))
    assert "no article with URL" in one_line_error(run("show", "http://nope.test/"))


def test_stats(run: Runner) -> None:
    text = run("stats")
    assert text.exit_code == 0, text.output
    header, alpha, beta = text.stdout.splitlines()[:3]
    assert header.split()[:5] == ["SOURCE", "ARTICLES", "REMOVED", "MOVED", "CAPTURES"]
    assert alpha.split()[:6] == ["alpha", "1", "0", "0", "2", "2"]
    assert beta.split()[:5] == ["beta", "1", "0", "0", "1"]
    data = json.loads(run("stats", "--source", "beta", "--format", "json").stdout)
    assert [s["name"] for s in data["sources"]] == ["beta"] and data["categories"] == [["Sport", 1]]
    assert "no source named 'gamma'; configured: alpha, beta" in one_line_error(
        run("stats", "--source", "gamma")
    )


def test_export(run: Runner, tmp_path: Path) -> None:
    rows = run("export", "--category", "Sport")
    assert [json.loads(line)["title"] for line in rows.stdout.splitlines()] == ["Match report"]
    assert run("export", "--until", "2026-04-29").stdout.count("\n") == 1
    parquet = tmp_path / "a.parquet"
    written = run("export", "--format", "parquet", "-o", str(parquet), "--agency", "IRNA")
    assert written.exit_code == 0 and "1 articles written" in written.stderr
    assert pytest.importorskip("pyarrow.parquet").read_table(parquet).num_rows == 1
    subset = tmp_path / "subset.warc.gz"
    result = run("export", "--warc", str(subset), "--source", "alpha")
    assert result.exit_code == 0, result.output
    assert "of 1 articles written" in result.stderr and subset.stat().st_size > 0
    assert "leave out --output" in one_line_error(run("export", "--warc", "x", "-o", "y"))
    assert "not a date" in one_line_error(run("export", "--since", "2026-13-01"))


def test_verify(run: Runner) -> None:
    intact = run("verify", "--deep")
    assert intact.exit_code == 0 and intact.stdout.endswith("0 problems\n"), intact.output
    (path,) = (run.data / "warcs").glob("beta-*.warc.gz")
    path.unlink()
    broken = run("verify")
    assert broken.exit_code == 1
    assert broken.stdout.splitlines()[0].startswith(f"{path.name}: missing WARC file")
    assert run("verify", "--source", "alpha").exit_code == 0


def test_real_crawl_searches_and_verifies(tmp_path: Path) -> None:
    data, url = tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'newshub.db'}"
    hub = DemoHub(articles=12, seed=5)
    with DemoServer(hub) as server:
        base = server.url
        crawled = newshub(
            "crawl", "--url", server.url + "/", "--name", "demo", "--delay", "0",
            data=data, database_url=url,
        )  # fmt: skip
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    run = Runner(data, url)
    assert run("verify", "--deep").exit_code == 0
    article = hub.articles[3]
    phrase = " ".join(article.blocks[-1].split()[2:8])
    hits = json.loads(run("search", f'"{phrase}"', "--format", "json").stdout)
    assert base + article.path in [hit["url"] for hit in hits]
    shown = json.loads(run("show", hits[0]["url"], "--format", "json").stdout)
    subset = tmp_path / "subset.warc.gz"
    exported = run("export", "--warc", str(subset), "--category", shown["article"]["category"])
    assert exported.exit_code == 0, exported.output
    with open(subset, "rb") as stream:
        kinds = Counter(record.rec_type for record in ArchiveIterator(stream))
    assert kinds["response"] > kinds["warcinfo"] >= 1 and kinds["request"] >= kinds["response"]
    capture = next(c for c in shown["captures"] if c["status"] == 200)
    path = data / "warcs" / capture["warc_file"]
    raw = bytearray(path.read_bytes())
    raw[capture["warc_offset"] + capture["warc_length"] // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    damaged = run("verify")
    assert damaged.exit_code == 1
    problems = damaged.stdout.splitlines()[:-1]
    assert (
        problems == [problems[0]]
        and f"{capture['warc_file']} @ {capture['warc_offset']}" in problems[0]
    )
