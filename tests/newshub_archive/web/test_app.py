"""The web interface over a real archive, through FastAPI's TestClient, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from newshub_archive import search_bounds
from newshub_archive.web.app import create_app
from newshub_archive.web.routes.sources import source_reports
from newshub_archive.web.security import Credentials
from tests.newshub_archive.sample_archive import T0
from tests.newshub_archive.web import web_archive

REPLAY = "http://127.0.0.1:8099"


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    urls = web_archive.build(engine, tmp_path / "warcs")
    with TestClient(create_app(engine, replay_base=REPLAY, credentials=Credentials())) as client:
        yield client, urls


def article_id(client: TestClient, url: str) -> int:
    for page in (1, 2):
        hits = client.get("/api/search", params={"page": page}).json()["hits"]
        found = [hit["id"] for hit in hits if hit["url"] == url]
        if found:
            return int(found[0])
    raise AssertionError(f"{url} not listed")


def test_search_page_phrase_facets_sort_and_pages(site: tuple[TestClient, dict]) -> None:
    client, _ = site
    page = client.get("/", params={"q": '"water supply"'})
    assert page.status_code == 200
    assert '<span id="total">1</span> article match' in page.text
    # Highlighted (SQLite marks the phrase, PostgreSQL each word).
    assert re.search(r"<mark>water(</mark> <mark>| )supply</mark>", page.text)
    harbour = client.get("/api/search", params={"q": "harbour"}).json()
    assert harbour["total"] == 24 and harbour["pages"] == 2 and len(harbour["hits"]) == 20
    second = client.get("/api/search", params={"q": "harbour", "page": 2}).json()
    assert len(second["hits"]) == 4
    assert not {h["id"] for h in harbour["hits"]} & {h["id"] for h in second["hits"]}
    facets = {f["value"]: f["count"] for f in harbour["facets"]["source"]}
    assert facets == {"hub": 23, "gazette": 1}
    categories = {f["value"]: f["count"] for f in harbour["facets"]["category"]}
    assert categories["Politics"] == 8 and categories["Culture"] == 1
    economy = client.get("/api/search", params={"q": "harbour", "category": "Economy"}).json()
    assert economy["total"] == categories["Economy"] == 7
    assert {hit["category"] for hit in economy["hits"]} == {"Economy"}
    by_date = client.get("/api/search", params={"q": "harbour", "sort": "date"}).json()["hits"]
    dates = [hit["published_at"] for hit in by_date]
    assert dates == sorted(dates, reverse=True)
    assert by_date[0]["snippet_html"].count("<mark>") >= 1
    # The page links the facet value with the query kept: a shareable URL.
    html = client.get("/", params={"q": "harbour"}).text
    assert 'href="?q=harbour&amp;category=Economy"' in html
    assert 'rel="next" href="?q=harbour&amp;page=2"' in html


def test_sampled_facet_counts_are_marked_as_estimates(
    site: tuple[TestClient, dict], monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    client, _ = site
    exact = client.get("/api/search", params={"q": "harbour"}).json()
    assert exact["facets_approximate"] is False and exact["total_exact"] is True
    assert "Counts are estimates" not in client.get("/", params={"q": "harbour"}).text
    monkeypatch.setattr(search_bounds, "FACET_SAMPLE", 6)
    monkeypatch.setattr(search_bounds, "SAMPLE_BUCKETS", 8)  # 24 matches: residues 0, 1 of 8
    if engine.dialect.name == "postgresql":
        monkeypatch.setattr(search_bounds, "estimated_rows", lambda connection, query: 24)
    sampled = client.get("/api/search", params={"q": "harbour"}).json()
    assert sampled["facets_approximate"] is True
    html = client.get("/", params={"q": "harbour"}).text
    assert "Counts are estimates" in html and re.search(r'class="count">≈\d+<', html)
    if engine.dialect.name == "postgresql":  # the total, too, comes from the sample
        assert sampled["total_exact"] is False and "about</span>" in html
    else:
        assert sampled["total_exact"] is True and sampled["total"] == 24


def test_search_language_author_month_and_empty_query(site: tuple[TestClient, dict]) -> None:
    client, urls = site
    persian = client.get("/api/search", params={"language": "fa"}).json()
    assert [hit["url"] for hit in persian["hits"]] == [urls["persian"]]
    everything = client.get("/api/search").json()
    assert everything["total"] == 27 and everything["sort"] == "date"
    months = {f["value"]: f["count"] for f in everything["facets"]["month"]}
    assert months == {"2026-05": 6, "2026-04": 21}
    april = client.get("/api/search", params={"since": "2026-04-01", "until": "2026-04-30"})
    assert april.json()["total"] == 21
    assert client.get("/api/search", params={"author": "Nobody"}).json()["total"] == 0


def test_bad_input_is_a_one_line_error(site: tuple[TestClient, dict]) -> None:
    client, _ = site
    page = client.get("/", params={"since": "yesterday"})
    assert page.status_code == 400
    assert "not a date: &#39;yesterday&#39;" in page.text
    api = client.get("/api/search", params={"sort": "random"})
    assert api.status_code == 400 and api.json() == {
        "detail": "sort must be relevance or date, not 'random'"
    }
    assert client.get("/api/articles/999999").status_code == 404
    assert client.get("/articles/999999").status_code == 404
    assert client.get("/api/search", params={"page": 0}).status_code == 422


def test_article_page_fields_captures_versions_and_replay(site: tuple[TestClient, dict]) -> None:
    client, urls = site
    number = article_id(client, urls["edited"])
    html = client.get(f"/articles/{number}").text
    assert "The council rejected the water supply budget on Tuesday." in html
    assert "Versions (2)" in html and "Captures (2)" in html
    assert "IRNA" in html and "Economy" in html
    (iframe,) = re.findall(r"<iframe [^>]*>", html)
    assert 'sandbox="allow-scripts allow-same-origin"' in iframe
    assert f'src="{REPLAY}/newshub/20260502120000/{urls["edited"]}"' in iframe
    captures = client.get(f"/api/articles/{number}").json()["captures"]
    first = captures[0]["warc_record_id"]
    chosen = client.get(f"/articles/{number}", params={"capture": first}).text
    assert f"{REPLAY}/newshub/20260501120000/{urls['edited']}" in chosen
    assert client.get(f"/articles/{number}", params={"capture": "urn:uuid:nope"}).status_code == 404
    persian = client.get(f"/articles/{article_id(client, urls['persian'])}").text
    assert f'<h1 dir="rtl">{web_archive.PERSIAN_TITLE}</h1>' in persian


def test_versions_and_word_diff(site: tuple[TestClient, dict]) -> None:
    client, urls = site
    number = article_id(client, urls["edited"])
    versions = client.get(f"/api/articles/{number}/versions").json()["versions"]
    assert [v["body"] for v in versions] == [web_archive.EDITED_BEFORE, web_archive.EDITED_AFTER]
    html = client.get(f"/articles/{number}/diff").text
    assert "<del>approved</del><ins>rejected</ins>" in html
    assert "<del>Monday.</del><ins>Tuesday.</ins>" in html
    diff = client.get(
        f"/api/articles/{number}/diff", params={"a": versions[0]["id"], "b": versions[1]["id"]}
    ).json()
    assert ["removed", "approved"] in diff["body"] and ["added", "rejected"] in diff["body"]
    same = client.get(f"/api/articles/{number}/diff", params={"a": versions[1]["id"]}).json()
    assert same["changed"] is False
    single = article_id(client, urls["persian"])
    assert client.get(f"/api/articles/{single}/diff").status_code == 404


def test_sources_page_and_api(site: tuple[TestClient, dict]) -> None:
    client, _ = site
    sources = {s["name"]: s for s in client.get("/api/sources").json()["sources"]}
    assert set(sources) == {"hub", "gazette"}
    hub = sources["hub"]
    assert hub["articles"] == 26 and hub["health"] == "healthy" and hub["problems"] == []
    assert [run["status"] for run in hub["runs"]] == ["finished", "finished"]
    assert hub["runs"][0]["updated"] == 1 and hub["runs"][1]["new"] == 26
    latest = hub["runs"][0]  # not run by a cluster worker: where it ran is its host and pid
    assert latest["worker"] is None and latest["job_id"] is None
    assert latest["ran_on"] == f"{latest['hostname']}:{latest['pid']}"
    html = client.get("/sources").text
    assert "<th>ran on</th>" in html and f"<td>{latest['ran_on']}</td>" in html
    assert '<h2>hub <span class="verdict healthy">healthy</span></h2>' in html
    assert "no new articles in the last 30 days" in html  # T0 is long ago
    reports = source_reports(client.app.state.archive, now=T0 + timedelta(days=3))  # type: ignore[attr-defined]
    per_day = {r["name"]: r["articles_per_day"] for r in reports}
    assert per_day["hub"] == [{"day": "2026-05-01", "articles": 26}]


def test_archived_markup_is_escaped_and_headers_are_strict(site: tuple[TestClient, dict]) -> None:
    client, urls = site
    number = article_id(client, urls["xss"])
    for path in (f"/articles/{number}", "/?q=payload", "/?q=breaking"):
        response = client.get(path)
        assert "<script>window" not in response.text and "<img src=x" not in response.text
        assert "&lt;script&gt;" in response.text or "&lt;img" in response.text
        policy = response.headers["content-security-policy"]
        assert "script-src 'none'" in policy and f"frame-src {REPLAY}" in policy
        assert response.headers["x-frame-options"] == "DENY"
    html = client.get(f"/articles/{number}").text
    assert 'href="javascript' not in html and "<li>javascript:window.__xss" in html
    assert '<a href="http://hub.test/elsewhere/" rel="noopener noreferrer nofollow">' in html


def test_read_only(site: tuple[TestClient, dict], engine: Engine) -> None:
    client, _ = site
    assert client.post("/api/search").status_code == 405
    assert client.delete("/api/articles/1").status_code == 405
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(text("DELETE FROM articles"))
    assert client.get("/api/search").json()["total"] == 27
    assert "/api/search" in client.get("/openapi.json").json()["paths"]


def test_token_and_basic_auth(engine: Engine) -> None:
    credentials = Credentials.from_environ({"NEWSHUB_WEB_TOKEN": "s3cret"})
    with TestClient(create_app(engine, replay_base=REPLAY, credentials=credentials)) as client:
        assert client.get("/api/search").status_code == 401
        assert (
            client.get("/api/search", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        ok = client.get("/api/search", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and "content-security-policy" in ok.headers
    basic = Credentials.from_environ({"NEWSHUB_WEB_AUTH": "editor:pass word"})
    with TestClient(create_app(engine, replay_base=REPLAY, credentials=basic)) as client:
        denied = client.get("/")
        assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Basic")
        assert client.get("/", auth=("editor", "pass word")).status_code == 200
        assert client.get("/", auth=("editor", "wrong")).status_code == 401


def test_article_page_shows_editions_and_history(engine: Engine, tmp_path: Path) -> None:
    from pipelines.db.removals import record_removals

    urls = web_archive.build(engine, tmp_path / "warcs")
    with engine.begin() as connection:
        ids = dict(connection.execute(text("SELECT url, id FROM articles")).all())
        edited, persian = ids[urls["edited"]], ids[urls["persian"]]
        connection.execute(
            text("UPDATE articles SET translation_group = :g WHERE id IN (:a, :b)"),
            {"g": urls["edited"], "a": edited, "b": persian},
        )
        source_id = connection.execute(
            text("SELECT source_id FROM articles WHERE id = :a"), {"a": edited}
        ).scalar_one()
    assert record_removals(engine, source_id, [(urls["edited"], T0, "410")], []) == (1, 0)
    with TestClient(create_app(engine, replay_base=REPLAY, credentials=Credentials())) as client:
        data = client.get(f"/api/articles/{edited}").json()
        html = client.get(f"/articles/{edited}").text
    assert data["editions"] == [{"id": persian, "language": "fa", "url": urls["persian"]}]
    assert [(e["kind"], e["detail"]) for e in data["history"]] == [("removed", "410")]
    assert data["article"]["removed_at"].startswith("2026-")
    assert f'<a href="/articles/{persian}" hreflang="fa">fa</a>' in html
    assert "History (1)" in html and "removed by the site" in html
