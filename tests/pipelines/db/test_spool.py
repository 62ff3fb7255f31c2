"""Durable writes: a database outage spools rows to disk, and they are replayed, in order."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine

from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, ArticleVersion, Capture
from pipelines.db.runs import ensure_source
from pipelines.db.spool import Spool, decode, encode, spool_path
from pipelines.db.spool_replay import replay_spools
from pipelines.db.store import ArchiveStore
from tests.pipelines.db.test_store import SOURCE, capture, count, item

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"


def rows(n: int, start: int = 0) -> list[tuple[str, object]]:
    entries: list[tuple[str, object]] = []
    for i in range(start, start + n):
        url = f"http://hub.test/a{i}/"
        entries += [
            ("capture", capture(f"<urn:{i}>", url)),
            ("article", item(f"b{i}", f"<urn:{i}>", url=url)),
        ]
    return entries


def queue(store: ArchiveStore, entries: list[tuple[str, object]]) -> None:
    for kind, row in entries:
        if kind == "capture":
            store.add_capture(row)  # type: ignore[arg-type]
        else:
            store.add_article(row)  # type: ignore[arg-type]


def test_rows_round_trip_through_json() -> None:
    for kind, row in rows(1):
        assert decode(encode(kind, row)) == (kind, row)
    moved = item("b", "<urn:9>", url="http://hub.test/fa/b/")
    moved.post_id, moved.redirected_from = "en:9", ["http://hub.test/fa/a/"]
    moved.editions = {"fa": "http://hub.test/fa/b/", "en": "http://hub.test/en/b/"}
    assert decode(encode("article", moved)) == ("article", moved)


def test_outage_spools_then_replays_on_reconnect(engine: Engine, tmp_path: Path) -> None:
    source_id = ensure_source(engine, SOURCE)
    spool = Spool.take(spool_path(tmp_path, source_id, None))
    assert spool is not None
    down = make_engine(UNREACHABLE)
    store = ArchiveStore(
        down,
        source_id,
        batch_size=4,
        flush_interval=0.05,
        spool=spool,
        retry_delays=(0.01,),
        replay_interval=0.1,
        close_wait=20,
    )
    store.start()
    queue(store, rows(10))
    deadline = time.monotonic() + 20
    while spool.pending < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert spool.pending == 20 and spool.path.stat().st_size > 0  # on disk, nothing lost
    assert count(engine, ArticleRow) == 0
    store.engine = engine  # the database is back
    queue(store, rows(5, start=10))
    store.close()
    spool.close()
    assert store.errors == [] and store.counts["replayed"] >= 20
    assert count(engine, Capture) == 15 and count(engine, ArticleRow) == 15
    assert count(engine, ArticleVersion) == 15
    assert not spool.path.exists()  # an empty spool is removed
    down.dispose()


def test_spool_left_by_a_dead_run_is_replayed_at_next_start(engine: Engine, tmp_path: Path) -> None:
    source_id = ensure_source(engine, SOURCE)
    spool = Spool.take(spool_path(tmp_path, source_id, None))
    assert spool is not None
    spool.append(rows(3))
    with spool.path.open("a") as torn:  # the crash came mid-line
        torn.write('{"kind": "capt')
    assert replay_spools(engine, tmp_path) == 0, "a live writer's spool is left alone"
    spool.close()
    assert spool.path.exists()
    assert replay_spools(engine, tmp_path) == 6
    assert count(engine, Capture) == 3 and count(engine, ArticleRow) == 3
    assert not spool.path.exists()
    assert replay_spools(engine, tmp_path) == 0


def test_a_bad_article_keeps_its_capture_and_the_others(engine: Engine, tmp_path: Path) -> None:
    source_id = ensure_source(engine, SOURCE)
    entries = rows(3)
    entries[3] = ("article", item("b1", "<urn:missing>", url="http://hub.test/a1/"))  # no capture
    store = ArchiveStore(engine, source_id, batch_size=10, flush_interval=0.05)
    store.start()
    queue(store, entries)
    store.close()
    assert len(store.errors) == 1  # said, not hidden
    assert count(engine, Capture) == 3 and count(engine, ArticleRow) == 2
