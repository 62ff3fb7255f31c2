"""Config parsing: valid files load, every kind of mistake is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config import ConfigError, adhoc_source, load_sources, resolve_paths, safe_url

GOOD = """
[[source]]
name = "webangah"
home = "https://webangah.example/"
sitemaps = ["https://webangah.example/sitemap_index.xml"]
feeds = ["https://webangah.example/feed/"]
schedule = "*/30 * * * *"
max_articles = 500
delay = 1.5
rules = { body = "css:.entry-content" }
discovery = { rest_api = false, listings = false }

[[source]]
name = "other"
home = "http://www.other.example/"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newshub.toml"
    path.write_text(text)
    return path


def test_loads_sources(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, GOOD))
    assert list(sources) == ["webangah", "other"]
    hub = sources["webangah"]
    assert (
        hub.max_articles == 500 and hub.delay == 1.5 and hub.rules == {"body": "css:.entry-content"}
    )
    assert hub.domains == ("webangah.example",)
    assert hub.discovery == {"rest_api": False, "listings": False}
    assert sources["other"].discovery == {}
    assert sources["other"].domains == ("other.example",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[source]\nname=", "invalid TOML"),
        ('[[source]]\nname = "x"\n', "'home'"),
        ('[[source]]\nname = "x y"\nhome = "http://a/"\n', "'name'"),
        ('[[source]]\nname = "x"\nhome = "ftp://a/"\n', "http(s)"),
        ('[[source]]\nname = "x"\nhome = "http://a/"\nmax_articles = -1\n', "negative"),
        ('[[source]]\nname = "x"\nhome = "http://a/"\nspeed = 3\n', "unknown key(s): speed"),
        (
            '[[source]]\nname = "x"\nhome = "http://a/"\n[[source]]\nname = "x"\nhome = "http://b/"\n',
            "twice",
        ),
        ('source = "x"\n', "array of tables"),
        ('[[source]]\nname = "x"\nhome = "http://a/"\nrules = { title = "h1[[" }\n', "bad css"),
        ('[[source]]\nname = "x"\nhome = "http://a/"\nrules = { colour = "h1" }\n', "unknown key"),
        ('[[source]]\nname = "x"\nhome = "http://a/"\ndiscovery = { rss = false }\n', "'rss'"),
        ('[[source]]\nname = "x"\nhome = "http://a/"\ndiscovery = { feeds = 0 }\n', "true or"),
        ('[[source]]\nname = "x"\nhome = "http://a/"\ndiscovery = "off"\n', "a table of"),
    ],
)
def test_errors_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_sources(write(tmp_path, text))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_sources(tmp_path / "nope.toml")
    assert load_sources(tmp_path / "nope.toml", required=False) == {}


def test_paths_from_environment(tmp_path: Path) -> None:
    paths = resolve_paths({"NEWSHUB_DATA_DIR": str(tmp_path)})
    assert paths.warc_dir == tmp_path / "warcs"
    assert paths.database_url == f"sqlite:///{tmp_path / 'newshub.db'}"
    url = "postgresql://u:secret@db/newshub"
    assert resolve_paths({"NEWSHUB_DATABASE_URL": url}).database_url == url
    with pytest.raises(ConfigError):
        resolve_paths({"NEWSHUB_DATABASE_URL": "not a url"})


def test_adhoc_source() -> None:
    assert adhoc_source("https://www.hub.example/").name == "hub.example"
    assert adhoc_source("http://127.0.0.1:8000/", "demo").name == "demo"
    with pytest.raises(ConfigError):
        adhoc_source("hub.example")
    for bad in ("hub\n", "hub\nx", "-hub", "hub/x"):  # names are matched whole
        with pytest.raises(ConfigError):
            adhoc_source("http://127.0.0.1:8000/", bad)


def test_source_name_with_newline_is_rejected(tmp_path: Path) -> None:
    config = write(tmp_path, '[[source]]\nname = "hub\\n"\nhome = "http://hub.example/"\n')
    with pytest.raises(ConfigError, match="'name' must be"):
        load_sources(config)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:p%40ss@db.host/newshub", "postgresql://u:***@db.host/newshub"),
        ("redis://user:pw@h:6379/0", "redis://user:***@h:6379/0"),
        ("redis://h/0?socket_timeout=5", "redis://h/0?socket_timeout=5"),
        ("sqlite:///data/newshub.db", "sqlite:///data/newshub.db"),
        ("redis://h:notaport/0", "<invalid URL>"),
        ("not a url", "<invalid URL>"),
    ],
)
def test_safe_url_masks_database_and_redis_passwords(url: str, shown: str) -> None:
    assert safe_url(url) == shown
