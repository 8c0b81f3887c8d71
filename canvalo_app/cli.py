"""`flask` commands for the chores: init-db, seed-demo, dev-token, sweep."""

from __future__ import annotations

import uuid

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .auth import DEMO_USER, mint_dev_token
from .extensions import store
from .store.base import Identity


def _dev_secret() -> str:
    secret = current_app.config.get("DEV_JWT_SECRET")
    if not secret:
        raise click.ClickException("DEV_JWT_SECRET is not set (dev tokens are off in production).")
    return secret


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the embedded store's tables (SQLite; Supabase uses migrations/)."""
    store().init_schema()
    click.echo(f"Initialised the {store().name} store.")


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
    for command in (init_db, seed_demo_command, dev_token, sweep):
        app.cli.add_command(command)
