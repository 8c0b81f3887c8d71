"""Fixtures: the real app on a real SQLite file, tokens for two users, an SSE reader."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from canvalo_app import create_app
from canvalo_app.agents.context import today_for
from canvalo_app.agents.tools import ToolContext
from canvalo_app.auth import mint_dev_token
from canvalo_app.demo import seed_demo
from canvalo_app.engine import stop_all
from canvalo_app.store.base import Identity
from canvalo_app.store.tables import BUSINESS_TABLES
from tests.pgstack_fixture import RestV1Transport, pgstack  # noqa: F401  (the session fixture)
from tests.redis_fixture import redis_server  # noqa: F401  (the session fixture)

USER_A = "aaaaaaaa-0000-4000-8000-000000000001"
USER_B = "bbbbbbbb-0000-4000-8000-000000000002"
DEV_SECRET = "test-dev-secret-0123456789abcdef0123"
ORIGIN = "https://app.canvalo.example"


def app_config(tmp_path, **overrides) -> dict:
    return {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SQLITE_PATH": str(tmp_path / "canvalo.sqlite3"),
        "DEV_JWT_SECRET": DEV_SECRET,
        "SUPABASE_URL": None,
        "SUPABASE_JWT_SECRET": None,
        "CORS_ORIGINS": [ORIGIN],
        "MODEL_PROVIDER": "offline",
        "OFFLINE_TOKEN_DELAY": 0.0,
        "RETRY_BASE_DELAY": 0.01,
        "RETRY_MAX_DELAY": 0.04,
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


#: Every table of the Supabase schema, emptied before each test that uses the stack's app.
SUPABASE_TABLES = (
    "agent_conversations",
    "agent_messages",
    "agent_actions",
    "token_usage",
    *BUSINESS_TABLES,
)
#: Put on a test module (``pytestmark = BOTH_STORES``) to run its tests on SQLite and on
#: Supabase (the pgstack PostgreSQL + PostgREST), through `make_app`, `app`, `client`, `users`.
BOTH_STORES = pytest.mark.parametrize("store_backend", ["sqlite", "supabase"], indirect=True)


@pytest.fixture
def store_backend(request) -> str:
    """The store `make_app` builds: "sqlite" unless the test is parametrised (BOTH_STORES)."""
    return getattr(request, "param", "sqlite")


def supabase_overrides(stack) -> dict:
    """App settings for the pgstack: PostgREST behind a /rest/v1 prefix, and one JWT secret
    for the stack, the app and the `users` tokens (as a Supabase project's legacy secret)."""
    return {
        "STORE": "supabase",
        "SUPABASE_URL": stack.rest_url,
        "SUPABASE_PUBLISHABLE_KEY": stack.anon_key,
        "SUPABASE_SECRET_KEY": stack.service_key,
        "SUPABASE_SCHEMA": "api",
        "SUPABASE_JWT_SECRET": stack.jwt_secret,
        "DEV_JWT_SECRET": stack.jwt_secret,
        "SUPABASE_HTTP_TRANSPORT": RestV1Transport(),
    }


@pytest.fixture
def engine(request) -> str:
    """The generation engine `make_app` builds: "memory" unless parametrised (BOTH_ENGINES)."""
    return getattr(request, "param", "memory")


#: Put on a test module to run its tests on both generation engines: in memory, and on the
#: real redis-server (empty at the start of each test).
BOTH_ENGINES = pytest.mark.parametrize("engine", ["memory", "redis"], indirect=True)


@pytest.fixture
def make_app(tmp_path, store_backend, engine, request):
    """Build an app with overrides; every app built is closed at the end of the test."""
    apps = []
    stack = request.getfixturevalue("pgstack") if store_backend == "supabase" else None
    if stack:  # USER_A and USER_B start every test with nothing, as on a fresh SQLite file
        stack.psql(f"truncate {', '.join('api.' + t for t in SUPABASE_TABLES)} cascade")
    shared = {}
    if engine == "redis":
        server = request.getfixturevalue("redis_server")
        server.client().flushdb()
        shared = {"REDIS_URL": server.url}

    def build(**overrides):
        backend = {**shared, **(supabase_overrides(stack) if stack else {})}
        app = create_app(app_config(tmp_path, **{**backend, **overrides}))
        apps.append(app)
        return app

    yield build
    for app in apps:
        finish_generations(app)
        app.extensions["generations"].close()
        app.extensions["store"].close()
        app.extensions["model"].close()


def finish_generations(app, timeout: float = 5.0) -> None:
    """Stop the app's generations and wait for their threads before its store closes.

    A thread left running would fail on the closed store, and log the error while the next
    test runs. CPython 3.11 parses source to draw a traceback's carets, and its `ast` keeps
    one recursion counter for the whole interpreter, so that parse can collide with the
    next app's route compiling and fail it with "AST constructor recursion depth mismatch".
    """
    stop_all(app)
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.startswith("generation-"):
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class Users:
    """Tokens and headers for two users, A and B."""

    secret: str = DEV_SECRET

    def token(self, user_id: str = USER_A, **kwargs) -> str:
        return mint_dev_token(self.secret, user_id, **kwargs)

    def headers(self, user_id: str = USER_A) -> dict:
        return {"Authorization": f"Bearer {self.token(user_id)}"}

    @property
    def a(self) -> dict:
        return self.headers(USER_A)

    @property
    def b(self) -> dict:
        return self.headers(USER_B)


@pytest.fixture
def users(store_backend, request) -> Users:
    if store_backend == "supabase":  # tokens PostgREST accepts too
        return Users(request.getfixturevalue("pgstack").jwt_secret)
    return Users()


def parse_sse(text: str) -> list[dict]:
    """Parse an SSE body into frames: {"id", "event", "data"} or {"comment"}."""
    frames = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        frame: dict = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                frame.setdefault("comment", line[1:].strip())
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            frame[field] = json.loads(value) if field == "data" else value
        frames.append(frame)
    return frames


def events(frames: list[dict]) -> list[dict]:
    """Only the events (not comments), as their data dicts with the SSE id added."""
    return [{**f["data"], "_id": int(f["id"])} for f in frames if "data" in f]


# Seeded stores for the agents' tests ---------------------------------------------------------
TODAY = date(2026, 11, 23)  # a Monday


def user_store(app, users, user: str = USER_A):
    """`user`'s own store, opened with a real token (row-level security checks it)."""
    return app.extensions["store"].for_user(Identity(user, users.token(user)))


@pytest.fixture
def stores(app, users):
    """USER_A's and USER_B's stores, both holding the demo business as of TODAY."""
    pair = [user_store(app, users, user) for user in (USER_A, USER_B)]
    for store in pair:
        seed_demo(store, TODAY)
    return pair


@pytest.fixture
def ctx(stores) -> ToolContext:
    return ToolContext(store=stores[0], today=TODAY)


@pytest.fixture
def live(app, users):
    """USER_A's store seeded as of the day the chat runtime will see (the demo's time zone)."""
    store = user_store(app, users)
    seed_demo(store, today_for({"timezone": "America/New_York"}))
    return store


PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific_business(store):
    """Give the store's user a business in Los Angeles; return the store."""
    store.create_record(
        "business_settings",
        {"business_name": "Coastline Painting", "timezone": "America/Los_Angeles"},
    )
    return store


@pytest.fixture
def pacific(app, users) -> ToolContext:
    """A business in Los Angeles with nothing booked, on Monday 23 Nov 2026. (Tests marked
    BOTH_STORES run on SQLite, which compares times as text, and on PostgreSQL.)"""
    return ToolContext(pacific_business(user_store(app, users)), TODAY, zone=PACIFIC)
