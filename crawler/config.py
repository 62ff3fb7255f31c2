"""Sources from `newshub.toml` and paths from the environment.

Secrets (database passwords) come only from the environment, never from the TOML file,
so a config file can be shared or committed without leaking them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crawler.errors import NewshubError

DEFAULT_CONFIG = "newshub.toml"
# Matched whole (fullmatch): `$` would also accept a trailing newline ("hub\n").
SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Discovery sources a source may switch off (`discovery = { rest_api = false }`), and the
# setting each one maps to (defaults in crawler/settings.py).
DISCOVERY_SETTINGS = {
    "sitemaps": "HUB_DISCOVER_SITEMAPS",
    "feeds": "HUB_DISCOVER_FEEDS",
    "rest_api": "HUB_DISCOVER_REST_API",
    "listings": "HUB_DISCOVER_LISTINGS",
}


class ConfigError(NewshubError):
    """Bad configuration; the message is one line meant for the user."""


@dataclasses.dataclass(frozen=True)
class Source:
    """One news hub to crawl."""

    name: str
    home: str
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    # Extra domains page requisites (CSS, JS, images, fonts) may come from, e.g. a CDN.
    requisite_domains: tuple[str, ...] = ()
    # Cron expression or interval ("every 30m") for the scheduler daemon.
    schedule: str | None = None
    # Seconds the daemon lets one crawl run before stopping it (None: SCHEDULER_TIMEOUT).
    timeout: float | None = None
    max_articles: int = 0
    concurrency: int | None = None
    delay: float | None = None
    # Job queue of the source's crawls in a cluster (NEWSHUB_BROKER_URL): only the workers
    # started with `--queues` naming it run them (None: the default queue).
    queue: str | None = None
    # Per-source extraction overrides (selectors, timezone), validated at load time.
    rules: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Discovery sources switched on or off for this source (DISCOVERY_SETTINGS keys).
    discovery: dict[str, bool] = dataclasses.field(default_factory=dict)

    @property
    def domains(self) -> tuple[str, ...]:
        """Domains the crawl stays on: the configured ones, else the home page's host."""
        if self.allowed_domains:
            return self.allowed_domains
        host = urlsplit(self.home).hostname or ""
        return (host.removeprefix("www."),)


@dataclasses.dataclass(frozen=True)
class Paths:
    """Where newshub keeps its files and which database it talks to."""

    data_dir: Path
    database_url: str
    # Redis URL of a frontier shared by crawl workers on several hosts (None: crawl alone).
    frontier_url: str | None = None
    # Prefix of the frontier's Redis keys: PREFIX:SOURCE:queue, :seen, :workers.
    frontier_prefix: str = "newshub"

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warcs"


def resolve_paths(environ: dict[str, str] | None = None) -> Paths:
    """Read NEWSHUB_DATA_DIR and NEWSHUB_DATABASE_URL, falling back to SQLite in the data dir,
    and the optional frontier (`resolve_frontier`)."""
    env = os.environ if environ is None else environ
    # Absolute from here on: pywb, the daemon's crawls and log messages run elsewhere than ".".
    data_dir = Path(env.get("NEWSHUB_DATA_DIR") or "data").absolute()
    url = env.get("NEWSHUB_DATABASE_URL") or f"sqlite:///{data_dir / 'newshub.db'}"
    try:
        make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise ConfigError(f"NEWSHUB_DATABASE_URL is not a database URL: {exc}") from None
    frontier_url, frontier_prefix = resolve_frontier(env)
    return Paths(
        data_dir=data_dir,
        database_url=url,
        frontier_url=frontier_url,
        frontier_prefix=frontier_prefix,
    )


def resolve_frontier(environ: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """Read NEWSHUB_FRONTIER_URL (redis://host:port/db) and NEWSHUB_FRONTIER_PREFIX.

    Unset or empty: no frontier, each crawl runs alone. Errors never show the URL's password.
    """
    env = os.environ if environ is None else environ
    url = env.get("NEWSHUB_FRONTIER_URL") or None
    prefix = env.get("NEWSHUB_FRONTIER_PREFIX") or "newshub"
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(
                f"NEWSHUB_FRONTIER_URL must be a redis://host:port/db URL, got {safe_url(url)}"
            )
    if not re.fullmatch(r"[A-Za-z0-9_.:-]+", prefix):
        raise ConfigError("NEWSHUB_FRONTIER_PREFIX must be letters, digits, '.', '_', ':' or '-'")
    return url, prefix


def safe_url(url: str) -> str:
    """A database or Redis URL with any password masked, fit for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<invalid URL>"


def config_path(explicit: str | None = None) -> Path:
    """The config file: --config, else NEWSHUB_CONFIG, else ./newshub.toml."""
    return Path(explicit or os.environ.get("NEWSHUB_CONFIG") or DEFAULT_CONFIG)


def load_sources(path: Path, *, required: bool = True) -> dict[str, Source]:
    """Parse and validate every `[[source]]` table of the config file."""
    if not path.exists():
        if required:
            raise ConfigError(f"config file not found: {path} (use --config or NEWSHUB_CONFIG)")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: 'source' must be an array of tables ([[source]])")
    sources: dict[str, Source] = {}
    for index, table in enumerate(tables, start=1):
        source = parse_source(table, where=f"{path}: source #{index}")
        if source.name in sources:
            raise ConfigError(f"{path}: source name {source.name!r} is used twice")
        sources[source.name] = source
    return sources


def parse_source(table: Any, *, where: str) -> Source:
    """Build a Source from one TOML table, with errors that name the bad key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    known = {field.name for field in dataclasses.fields(Source)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(unknown)}")
    name = table.get("name")
    if not isinstance(name, str) or not SOURCE_NAME.fullmatch(name):
        raise ConfigError(f"{where}: 'name' must be letters, digits, '.', '_' or '-'")
    where = f"{where} ({name})"
    home = check_url(table.get("home"), f"{where}: 'home'")
    values: dict[str, Any] = {"name": name, "home": home}
    for key in ("sitemaps", "feeds"):
        values[key] = tuple(check_url(u, f"{where}: '{key}'") for u in _list(table, key, where))
    values["allowed_domains"] = tuple(_list(table, "allowed_domains", where))
    values["requisite_domains"] = tuple(_list(table, "requisite_domains", where))
    if "schedule" in table:
        values["schedule"] = _schedule(_typed(table, "schedule", str, where), where)
    if "timeout" in table:
        values["timeout"] = _timeout(_typed(table, "timeout", (str, int, float), where), where)
    if "max_articles" in table:
        values["max_articles"] = _non_negative(table, "max_articles", int, where)
    if "concurrency" in table:
        values["concurrency"] = _non_negative(table, "concurrency", int, where) or None
    if "delay" in table:
        values["delay"] = float(_non_negative(table, "delay", (int, float), where))
    if "queue" in table:
        queue = _typed(table, "queue", str, where)
        if not SOURCE_NAME.fullmatch(queue):
            raise ConfigError(f"{where}: 'queue' must be letters, digits, '.', '_' or '-'")
        values["queue"] = queue
    if "rules" in table:
        from crawler.extraction.rules import SiteRules  # only configs with rules pay for lxml

        try:
            SiteRules.from_mapping(table["rules"])
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        values["rules"] = dict(table["rules"])
    if "discovery" in table:
        values["discovery"] = _discovery(table["discovery"], where)
    return Source(**values)


def adhoc_source(home: str, name: str | None = None) -> Source:
    """A source for `newshub crawl --url`, named after the host unless a name is given."""
    home = check_url(home, "--url")
    name = name or (urlsplit(home).hostname or "adhoc").removeprefix("www.")
    if not SOURCE_NAME.fullmatch(name):
        raise ConfigError("--name must be letters, digits, '.', '_' or '-'")
    return Source(name=name, home=home)


def check_url(value: Any, what: str) -> str:
    """An absolute http(s) URL, or a ConfigError that says which value is wrong."""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{what} must be an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} must be an absolute http(s) URL, got {value!r}")
    return value


def _list(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return value


def _discovery(value: Any, where: str) -> dict[str, bool]:
    names = ", ".join(DISCOVERY_SETTINGS)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: 'discovery' must be a table of {names} = true/false")
    for key, flag in value.items():
        if key not in DISCOVERY_SETTINGS:
            raise ConfigError(f"{where}: 'discovery' has an unknown key {key!r} (known: {names})")
        if not isinstance(flag, bool):
            raise ConfigError(f"{where}: 'discovery.{key}' must be true or false")
    return dict(value)


def _typed(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' has the wrong type")
    return value


def _schedule(value: str, where: str) -> str:
    from crawler.scheduling.expressions import check_schedule

    try:
        return check_schedule(value)
    except ValueError as exc:
        raise ConfigError(
            f"{where}: 'schedule' must be a cron expression ('*/30 * * * *') or an interval "
            f"('every 30m'): {exc}"
        ) from None


def _timeout(value: str | float, where: str) -> float:
    from crawler.scheduling.expressions import parse_duration

    seconds = parse_duration(value) if isinstance(value, str) else float(value)
    if seconds is None or seconds <= 0:
        raise ConfigError(f"{where}: 'timeout' must be a duration like '6h' or '90m', or seconds")
    return seconds


def _non_negative(table: dict[str, Any], key: str, kind: Any, where: str) -> Any:
    value = _typed(table, key, kind, where)
    if value < 0:
        raise ConfigError(f"{where}: '{key}' must not be negative")
    return value
