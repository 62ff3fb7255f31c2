"""What every route reads (the database, the replay server, the sources), kept on app.state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from crawler.config import Source
from crawler.errors import NewshubError


class NotFound(NewshubError):
    """A page or version the archive does not have."""


@dataclass
class Archive:
    """What every route reads: the database, the replay server, the configured sources."""

    engine: Engine
    replay_base: str
    sources: Mapping[str, Source] = field(default_factory=dict)


def read_only(engine: Engine) -> Engine:
    """The engine, its connections refusing writes from now on (a second line of defence)."""

    def refuse_writes(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        if engine.dialect.name != "sqlite":
            dbapi_connection.commit()

    event.listen(engine, "connect", refuse_writes)
    engine.dispose()  # connections opened before the listener are not reused
    return engine
