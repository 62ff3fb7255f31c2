"""`show`: an article with every capture, its versions, their diff and its replay URL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from newshub_archive.replay_urls import replay_base, replay_url
from newshub_archive.show import ArticleNotFound, show
from tests.newshub_archive.sample_archive import T0, Page, archive

FIRST = Page("story", "Talks begin", "Delegations met in Muscat.\nNo statement was issued.")
SECOND = Page("story", "Talks begin", "Delegations met in Muscat.\nA joint statement followed.")


@pytest.fixture
def edited(engine: Engine, tmp_path: Path) -> str:
    """One article captured twice, its body edited in between; returns its URL."""
    archive(engine, tmp_path / "warcs", [FIRST, Page("other", "Other", "Unrelated text.")])
    archive(engine, tmp_path / "warcs", [SECOND], fetched_at=T0 + timedelta(days=1))
    return FIRST.url()


def test_show_by_id_and_url(engine: Engine, edited: str) -> None:
    view = show(engine, edited, diff=True)
    assert view.article["url"] == edited and view.article["source"] == "hub"
    assert view.article["body"] == SECOND.body
    assert [c["fetched_at"] for c in view.captures] == [T0, T0 + timedelta(days=1)]
    assert all(c["warc_file"].endswith(".warc.gz") and c["status"] == 200 for c in view.captures)
    assert view.captures[-1]["warc_record_id"] == view.article["warc_record_id"]
    assert [v["body"] for v in view.versions] == [FIRST.body, SECOND.body]
    assert view.replay_url == f"{replay_base()}/newshub/20260502120000/{edited}"
    (diff,) = view.diffs
    assert "-No statement was issued." in diff and "+A joint statement followed." in diff
    assert " Delegations met in Muscat." in diff
    assert show(engine, str(view.article["id"])).article["url"] == edited
    assert show(engine, edited).diffs == []  # only when asked


def test_unknown_article(engine: Engine, edited: str) -> None:
    with pytest.raises(ArticleNotFound, match="no article with id 999"):
        show(engine, "999")
    with pytest.raises(ArticleNotFound, match="no article with URL"):
        show(engine, "http://hub.test/nope/")


def test_replay_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSHUB_REPLAY_URL", raising=False)
    assert replay_url("http://a.test/x?y=1", T0) == (
        "http://127.0.0.1:8080/newshub/20260501120000/http://a.test/x?y=1"
    )
    monkeypatch.setenv("NEWSHUB_REPLAY_URL", "https://replay.example/")
    assert replay_url("http://a.test/", T0).startswith("https://replay.example/newshub/2026")
    with pytest.raises(ValueError):
        replay_url("http://a.test/", T0.replace(tzinfo=None))
