"""REST API change detection on a real WordPress (Debian's package, nginx + php-fpm, MariaDB).

130 news posts seeded through WordPress's own PHP API (tests/wordpress_site.py, from the real
WordPress work of issue 11); core sitemaps carry no lastmod, so the only change signal is the
REST API's `modified_gmt`. After 13 posts (10 %) are edited with `wp_update_post`, a recrawl
requests those 13 posts, one page of the REST listing and the other discovery requests, counted
from nginx's access log, and nothing else: links to an unchanged post through a URL WordPress
redirects (`/?p=ID`, a permalink without its slash) are recognised as the archived post (its
post id, its permalink) and not requested.

It needs the real WordPress fixture (tests/wordpress_site.py, wordpress_news.py and
wordpress_seed.php). Measured before shortlinks were recognised: first crawl 256 requests,
recrawl 71: 13 edited posts, 4 unchanged posts reached through shortlink redirects, 1 REST
page, 53 other discovery requests.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow
from tests import wordpress_news, wordpress_site
from tests.newshub_process import newshub

_REQUEST = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d{3}) ')


@pytest.fixture(scope="module")
def site() -> Iterator[object]:
    yield from wordpress_site.wordpress_site()


def requests(log: Path) -> list[tuple[str, int]]:
    """(target, status) of every GET in nginx's access log."""
    return [(m[1], int(m[2])) for m in _REQUEST.finditer(log.read_text())]


def crawl(site: object, data: Path, url: str) -> None:
    result = newshub(
        "crawl", "--url", site.url + "/", "--name", "wordpress",  # type: ignore[attr-defined]
        "--concurrency", "8", "--delay", "0",
        data=data, database_url=url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_real_wordpress_rest_recrawl_fetches_exactly_the_edited_posts(
    site: object, tmp_path: Path
) -> None:
    wp = site
    posts = wordpress_news.news_posts()
    ids = wp.seed_news(wordpress_news.seed_spec(posts), wordpress_news.EXTRAS)  # type: ignore[attr-defined]
    links = {key: post["link"] for key, post in ids["posts"].items()}
    paths = {urlsplit(link).path for link in links.values()}
    log = wp.tmp / "nginx-access.log"  # type: ignore[attr-defined]
    url = f"sqlite:///{tmp_path / 'newshub.db'}"

    log.write_text("")
    crawl(wp, tmp_path, url)
    first = requests(log)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = {r.url: r for r in connection.execute(select(ArticleRow))}
    finally:
        engine.dispose()
    assert set(links.values()) <= rows.keys()
    assert all(rows[link].source_modified for link in links.values())
    assert sum("/wp-json/wp/v2/posts" in t for t, _ in first) == 2  # 130 posts, 100 a page

    edited = sorted(links)[:: len(links) // 13][:13]
    for key in edited:
        post_id = ids["posts"][key]["id"]
        change = {"ID": post_id, "post_excerpt": "Updated after publication."}
        wp.php("update", stdin=json.dumps(change))  # type: ignore[attr-defined]
    log.write_text("")
    crawl(wp, tmp_path, url)
    second = requests(log)

    fetched = Counter(t for t, _ in second if t in paths)
    rest = [t for t, _ in second if "/wp-json/" in t or "rest_route=" in t]
    other = [
        t
        for t, _ in second
        if t not in paths and not t.startswith(("/wp-content/", "/wp-includes/")) and t not in rest
    ]
    print(f"\nfirst crawl: {len(first)} requests; recrawl: {len(second)}, {len(rest)} REST")
    print(f"recrawl discovery requests besides the REST listing ({len(other)}): {other}")
    # Links to a post through another URL (`/?p=ID` shortlinks, the permalink without its
    # slash) end in a redirect no change signal covers, and WordPress sends no validators: the
    # recrawl finds the archived post by its post id or permalink instead (Known.find). The
    # seeded home page links four old posts that way.
    by_id = {str(post["id"]): urlsplit(post["link"]).path for post in ids["posts"].values()}
    redirected = {by_id[m[1]] for t, _ in second if (m := re.fullmatch(r"/\?p=(\d+)", t))}
    redirected |= {t + "/" for t, _ in second if t + "/" in paths}
    expected = {urlsplit(links[key]).path for key in edited}
    print(f"edited {len(expected)}, reached through redirects {len(redirected - expected)}")
    assert set(fetched) == expected | redirected, set(fetched) - expected - redirected
    assert redirected <= expected  # no unchanged post fetched through a redirect
    assert all(n == 1 for n in fetched.values())
    assert len(rest) == 1
