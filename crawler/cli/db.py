"""`newshub db`: the schema, through Alembic."""

from __future__ import annotations

import click

from crawler.cli.base import Context, main, pass_context


@main.group()
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_context
def db_upgrade(obj: Context, revision: str) -> None:
    """Migrate the schema up to REVISION (default: head)."""
    from pipelines.db import schema

    engine = obj.engine()
    schema.upgrade(engine, revision)
    click.echo(f"database at revision {schema.current_revision(engine)}")


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(obj: Context, revision: str) -> None:
    """Migrate the schema down to REVISION ('base' removes every table)."""
    from pipelines.db import schema

    engine = obj.engine()
    schema.downgrade(engine, revision)
    click.echo(f"database at revision {schema.current_revision(engine) or 'base'}")


@db.command("current")
@pass_context
def db_current(obj: Context) -> None:
    """Print the schema revision of the database."""
    from pipelines.db import schema

    current = schema.current_revision(obj.engine())
    head = schema.head_revision()
    state = "up to date" if current == head else f"head is {head}"
    click.echo(f"{current or 'base'} ({state})")


@db.command("check")
@pass_context
def db_check(obj: Context) -> None:
    """Fail when the database schema differs from the models (Alembic autogenerate)."""
    from pipelines.db import schema

    problem = schema.drift(obj.engine())
    if problem:
        raise click.ClickException(problem.splitlines()[0])
    click.echo("no drift: the database matches the models")
