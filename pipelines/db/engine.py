"""Engines and connections: one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from crawler.config import safe_url as safe_url  # one masking function, kept importable here
from crawler.errors import NewshubError


class DatabaseError(NewshubError):
    """The database cannot be used; the message is one line meant for the user."""


class MissingDatabase(DatabaseError):
    """No database yet (no SQLite file, or no newshub tables): nothing was ever archived."""


def make_engine(url: str, *, create: bool = True, **kwargs: Any) -> Engine:
    """An engine tuned for several writers: WAL and a busy timeout on SQLite.

    A SQLite file (and its folder) is created on first use only with `create`: commands that
    only read say that the database is missing instead.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            if create:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            elif not Path(database).is_file():
                raise MissingDatabase(
                    f"no database at {database}: crawl something, or run 'newshub db upgrade' first"
                )
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        # psycopg 3 is the driver we ship; plain postgresql:// URLs should just work.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, **kwargs)


_P = ParamSpec("_P")
_T = TypeVar("_T")


def with_engine(
    url: str, work: Callable[Concatenate[Engine, _P], _T], *args: _P.args, **kwargs: _P.kwargs
) -> _T:
    """work(engine, *args, **kwargs) on an engine of its own, disposed of afterwards. Blocking.

    For crawl components that read or write once at spider open or close, in a thread
    (`await asyncio.to_thread(with_engine, url, work, ...)`): nothing is left open while crawling.
    """
    engine = make_engine(url)
    try:
        return work(engine, *args, **kwargs)
    finally:
        engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine that has answered `SELECT 1`, or a one-line DatabaseError saying why not."""
    try:
        engine = make_engine(url, create=create)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"no driver for {safe_url(url)}: module {exc.name!r} missing "
            "(install newshub[postgres] for PostgreSQL)"
        ) from None
    except MissingDatabase:
        raise
    except (SQLAlchemyError, ValueError) as exc:
        raise DatabaseError(f"bad database URL {safe_url(url)}: {exc}") from None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"cannot connect to database {safe_url(url)}: {reason}") from None
    return engine
