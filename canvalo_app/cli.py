"""`flask` commands for the chores: db upgrade|status (init-db), seed-demo, dev-token, sweep."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .auth import DEMO_USER, mint_dev_token
from .extensions import store
from .store import migrate
from .store.base import Identity


def _dev_secret() -> str:
    secret = current_app.config.get("DEV_JWT_SECRET")
    if not secret:
        raise click.ClickException("DEV_JWT_SECRET is not set (dev tokens are off in production).")
    return secret


@contextmanager
def _database() -> Iterator[migrate.Database]:
    """The configured store's database (the SQLite file, or Supabase's PostgreSQL), open for
    the block; a migration's failure becomes the command's error message."""
    config = current_app.config
    if config["STORE"] != "sqlite" and not config.get("DATABASE_URL"):
        raise click.ClickException(
            "DATABASE_URL is not set: with STORE=supabase, migrations need the PostgreSQL "
            "connection string (Supabase: the project's direct connection)."
        )
    try:
        if config["STORE"] == "sqlite":
            database = migrate.SQLiteDatabase(config["SQLITE_PATH"])
        else:
            database = migrate.PostgresDatabase(config["DATABASE_URL"])
        try:
            yield database
        finally:
            database.close()
    except migrate.MigrationError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("db")
def db() -> None:
    """Schema migrations: migrations/sqlite/ for SQLite, migrations/ for Supabase."""


@db.command("upgrade")
@with_appcontext
@click.option(
    "--if-configured",
    is_flag=True,
    help="With STORE=supabase and no DATABASE_URL, say so and succeed (make run uses it).",
)
def upgrade(if_configured: bool) -> None:
    """Apply the migrations the store has not recorded in schema_migrations, in order."""
    config = current_app.config
    if if_configured and config["STORE"] != "sqlite" and not config.get("DATABASE_URL"):
        click.echo("DATABASE_URL is not set: the Supabase migrations were not checked.")
        return
    with _database() as database:
        report = migrate.upgrade(database)
    # The app migrates its SQLite file as it starts, before any command runs: say so.
    started_path, at_start = current_app.extensions.get("migrated_at_start", ("", []))
    applied = [*(at_start if started_path == config.get("SQLITE_PATH") else []), *report.applied]
    already = [name for name in report.already_applied if name not in applied]
    if already:
        click.echo(f"Already up to date: {', '.join(already)}")
    for name in applied:
        click.echo(f"Applied {name}")
    click.echo(
        f"The {database.label} database is up to date"
        + (f" ({len(applied)} applied now)." if applied else "; nothing to apply.")
    )


@db.command("status")
@with_appcontext
def status() -> None:
    """List each migration and when it was applied."""
    with _database() as database:
        rows = migrate.status(database)
    for name, applied_at in rows:
        click.echo(f"{name}  {'applied ' + applied_at if applied_at else 'pending'}")


@click.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """The same as `flask db upgrade` (kept for older scripts)."""
    ctx.invoke(upgrade)


@click.command("seed-demo")
@with_appcontext
@click.option("--user", "user_id", default=DEMO_USER, show_default=True, type=click.UUID)
def seed_demo_command(user_id: uuid.UUID) -> None:
    """Fill a demo painting business for a user."""
    from .demo import seed_demo

    identity = Identity(str(user_id), mint_dev_token(_dev_secret(), str(user_id)))
    counts = seed_demo(store().for_user(identity))
    if not counts:
        click.echo(f"User {user_id} already has a business; nothing seeded.")
        return
    click.echo(
        "Seeded "
        + ", ".join(f"{n} {table}" for table, n in counts.items())
        + f" for user {user_id}."
    )


@click.command("dev-token")
@with_appcontext
@click.option("--user", "user_id", default=DEMO_USER, show_default=True, type=click.UUID)
@click.option("--hours", default=24, show_default=True, type=click.IntRange(1, 24 * 30))
def dev_token(user_id: uuid.UUID, hours: int) -> None:
    """Print a development access token (only the token)."""
    click.echo(mint_dev_token(_dev_secret(), str(user_id), ttl_seconds=hours * 3600))


@click.command("sweep")
@with_appcontext
@click.option(
    "--stale-seconds",
    type=click.FloatRange(min=0),
    default=None,
    help="Rows not updated for this long are abandoned [default: turn deadline + 30].",
)
def sweep(stale_seconds: float | None) -> None:
    """Mark messages left `streaming` by a stopped worker as `interrupted`."""
    from .engine.sweep import sweep_abandoned

    count = sweep_abandoned(current_app, stale_seconds)
    click.echo(f"Marked {count} abandoned message(s) interrupted.")


def init_app(app: Flask) -> None:
    for command in (db, init_db, seed_demo_command, dev_token, sweep):
        app.cli.add_command(command)
