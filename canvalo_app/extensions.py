"""The stateful clients, created once per app and kept in `app.extensions`."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from config import ConfigError

from .resilience import RetryPolicy
from .store.base import Store, UserStore

#: Rate limits; routes name their own limit and key (the chat limit is per user).
limiter = Limiter(key_func=get_remote_address)


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
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
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


def user_store() -> UserStore:
    """The signed-in caller's store (requires `require_auth`)."""
    return store().for_user(g.identity)
