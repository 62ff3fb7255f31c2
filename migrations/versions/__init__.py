"""Alembic revisions: the schema's only author (installed as newshub_migrations.versions)."""
