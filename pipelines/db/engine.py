"""Engines and connections: one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from crawler.config import safe_url as safe_url  # one masking function, kept importable here
from crawler.errors import NewshubError


class DatabaseError(NewshubError):
    """The database cannot be used; the message is one line meant for the user."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for several writers: WAL and a busy timeout on SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        # psycopg 3 is the driver we ship; plain postgresql:// URLs should just work.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine that has answered `SELECT 1`, or a one-line DatabaseError saying why not."""
    try:
        engine = make_engine(url)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"no driver for {safe_url(url)}: module {exc.name!r} missing "
            "(install newshub[postgres] for PostgreSQL)"
        ) from None
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
