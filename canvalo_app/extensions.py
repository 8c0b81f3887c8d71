"""The stateful clients, created once per app and kept in `app.extensions`."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, request
from flask_cors import CORS

from config import ConfigError

from .ratelimit import RateLimiter
from .resilience import RetryPolicy
from .store.base import Store, UserStore
from .store.migrate import MigrationError

log = logging.getLogger(__name__)


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
    if app.config["STORE"] == "sqlite":  # the embedded store migrates its file as it starts
        try:
            applied = store.init_schema()
            app.extensions["migrated_at_start"] = (app.config["SQLITE_PATH"], applied)
        except MigrationError as exc:
            raise ConfigError(f"the SQLite file could not be brought up to date: {exc}") from exc
    app.extensions["store"] = store
    app.extensions["rate_limiter"] = RateLimiter(app.config["REDIS_URL"])
    CORS(
        app,
        origins=app.config["CORS_ORIGINS"],
        supports_credentials=False,
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "X-Request-ID"],
        expose_headers=[
            "X-Request-ID",
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
        ],
        max_age=600,
    )
    _log_refused_origins(app)


#: Refused origins remembered per worker, so each is logged once (and memory stays bounded).
MAX_LOGGED_ORIGINS = 1000


def _log_refused_origins(app: Flask) -> None:
    """Log, once per origin at INFO, a cross-origin request CORS_ORIGINS does not allow: the
    browser then refuses the answer, and the operator can see why."""
    allowed = set(app.config["CORS_ORIGINS"])
    logged: set[str] = set()

    @app.after_request
    def note_refused_origin(response):
        origin = request.headers.get("Origin")
        if not origin or "*" in allowed or origin in allowed or origin in logged:
            return response
        if origin == request.host_url.rstrip("/") or len(logged) >= MAX_LOGGED_ORIGINS:
            return response  # same origin (the /demo page), or enough said
        logged.add(origin)
        log.info("CORS: refused origin %r (not in CORS_ORIGINS)", origin[:200])
        return response


def store() -> Store:
    return current_app.extensions["store"]


def rate_limiter() -> RateLimiter:
    return current_app.extensions["rate_limiter"]


def user_store() -> UserStore:
    """The signed-in caller's store (requires `require_auth`)."""
    return store().for_user(g.identity)
