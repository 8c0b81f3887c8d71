"""The stateful clients, created once per app and kept in `app.extensions`."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_cors import CORS

from config import ConfigError

from .ratelimit import RateLimiter
from .resilience import RetryPolicy
from .store.base import Store, UserStore


def _make_store(config: dict) -> Store:
    policy = RetryPolicy.from_config(config)
    if config["STORE"] == "sqlite":
        from .store.sqlite import SQLiteStore

        return SQLiteStore(config["SQLITE_PATH"], policy)
    if config["STORE"] == "supabase":
        from .store.supabase import SupabaseStore

        return SupabaseStore(config, policy)
    raise ConfigError(f"STORE must be sqlite or supabase, got {config['STORE']!r}")


def init_app(app: Flask) -> None:
    store = _make_store(app.config)
    if app.config["STORE"] == "sqlite":
        store.init_schema()  # the embedded store creates its tables on first start
    app.extensions["store"] = store
    app.extensions["rate_limiter"] = RateLimiter(app.config["REDIS_URL"])
    CORS(
        app,
        origins=app.config["CORS_ORIGINS"],
        supports_credentials=False,
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )


def store() -> Store:
    return current_app.extensions["store"]


def rate_limiter() -> RateLimiter:
    return current_app.extensions["rate_limiter"]


def user_store() -> UserStore:
    """The signed-in caller's store (requires `require_auth`)."""
    return store().for_user(g.identity)
