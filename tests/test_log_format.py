"""`--log-format json`: one JSON object per log line, with source and run id."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.log_format import json_formatter
from tests.newshub_process import newshub


def test_a_crawl_logs_json_lines_with_source_and_run_id(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'newshub.db'}"
    with DemoServer(DemoHub(articles=3, seed=4)) as site:
        args = ("crawl", "--url", site.url + "/", "--name", "hub", "--delay", "0")
        done = newshub(*args, "--log-format", "json", data=data, database_url=url)
        assert done.returncode == 0, done.stderr[-2000:]
        human = newshub(*args, data=data, database_url=url)
        assert human.returncode == 0, human.stderr[-2000:]
    lines = (data / "logs" / "hub-1.log").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) > 10
    assert {(r["source"], r["run_id"]) for r in records} == {("hub", 1)}
    assert {"asctime", "levelname", "name", "message"} <= set(records[0])
    assert any(r["message"].startswith("Spider closed") for r in records)
    # The default stays Scrapy's human format.
    assert (data / "logs" / "hub-2.log").read_text().split("\n")[0][:4].isdigit()


def test_the_daemon_lines_about_a_source_carry_it() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("tests.daemon")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logging.LoggerAdapter(logger, {"source": "hub"}).info("crawl of %s started", "hub")
        logger.info("scheduler stopped")
    finally:
        logger.removeHandler(handler)
    about, general = (json.loads(line) for line in out.getvalue().splitlines())
    assert about["source"] == "hub" and about["message"] == "crawl of hub started"
    assert general["source"] is None and general["run_id"] is None
