"""The database on the write path: models, engines, schema (Alembic), the batching store, runs."""
