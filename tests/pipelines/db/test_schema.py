"""Migrations are the schema's only author: up, down and up again, with no drift."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from pipelines.db import schema
from pipelines.db.engine import DatabaseError, make_engine
from pipelines.db.models import Base

TABLES = {"sources", "crawl_runs", "captures", "articles", "article_versions", "article_events"}


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert schema.current_revision(engine) is None
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert schema.drift(engine) is None

        schema.downgrade(engine, "base")
        assert schema.current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())

        schema.upgrade(engine)
        assert schema.drift(engine) is None
    finally:
        engine.dispose()


def test_every_migration_steps_down_and_up(database_url: str) -> None:
    """Walk the revision chain one step at a time in both directions."""
    engine = make_engine(database_url)
    try:
        schema.upgrade(engine)
        revisions = []
        while (current := schema.current_revision(engine)) is not None:
            revisions.append(current)
            schema.downgrade(engine, "-1")
        for revision in reversed(revisions):
            schema.upgrade(engine, "+1")
            assert schema.current_revision(engine) == revision
    finally:
        engine.dispose()


def test_constraint_names_follow_the_convention(engine) -> None:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    uniques = {c["name"] for c in inspector.get_unique_constraints("articles")}
    assert "uq_articles_source_id_url" in uniques
    assert inspector.get_pk_constraint("articles")["name"] in ("pk_articles", None)
    assert all(
        name.startswith(("ix_", "uq_"))
        for name in (i["name"] for i in inspector.get_indexes("captures"))
    )
    assert set(Base.metadata.tables) == TABLES


def test_ensure_schema_creates_then_refuses_an_outdated_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        schema.ensure_schema(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        schema.ensure_schema(engine)  # idempotent
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'old0'")
        with pytest.raises(DatabaseError, match="newshub db upgrade"):
            schema.ensure_schema(engine)
    finally:
        engine.dispose()
