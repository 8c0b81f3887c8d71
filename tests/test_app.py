"""App-wide behaviour: error envelope, request ids, CORS, health, OpenAPI, production refusal,
and how the layers depend on each other."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from canvalo_app import create_app
from config import ConfigError
from tests.conftest import ORIGIN, USER_A, app_config
from tests.helpers import assert_error


def test_unknown_route_gets_envelope(client):
    assert_error(client.get("/nowhere"), 404, "NOT_FOUND")
    assert_error(client.get("/api/nowhere"), 404, "NOT_FOUND")


def test_wrong_method_gets_envelope(client):
    response = client.post("/health")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


def test_body_too_large_is_413(make_app, users):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post(
        "/api/conversations",
        data="{" + " " * 4096 + "}",
        content_type="application/json",
        headers=users.a,
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_uncaught_error_is_500_without_internals(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals: SELECT * FROM users; token=abc")

    response = app.test_client().get("/boom")
    error = assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert error["retryable"] is True


def test_request_id_is_echoed_or_made(client):
    echoed = client.get("/health", headers={"X-Request-ID": "req-123.abc"})
    assert echoed.headers["X-Request-ID"] == "req-123.abc"
    made = client.get("/health", headers={"X-Request-ID": "bad id <script>"})
    assert len(made.headers["X-Request-ID"]) == 32
    assert client.get("/health").headers["X-Request-ID"] != made.headers["X-Request-ID"]


def test_request_id_in_log_lines(make_app, capsys):
    app = make_app(LOG_LEVEL="INFO", LOG_FORMAT="json")

    @app.get("/logs")
    def logs():
        import logging

        logging.getLogger("canvalo_app.test").info("hello from a request")
        return {}

    app.test_client().get("/logs", headers={"X-Request-ID": "trace-42"})
    line = [ln for ln in capsys.readouterr().out.splitlines() if "hello from a request" in ln]
    assert line and '"request_id": "trace-42"' in line[0]


def test_cors_allows_listed_origin_only(client, users):
    allowed = client.get("/api/conversations", headers={**users.a, "Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    denied = client.get("/api/conversations", headers={**users.a, "Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in denied.headers
    preflight = client.options(
        "/api/chat/stream",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, last-event-id",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_index_and_liveness(client):
    assert client.get("/").json == {
        "service": "canvalo-chat",
        "version": "0.1.0",
        "environment": "testing",
    }
    assert client.get("/health").json == {"status": "ok"}


def test_readiness_reports_store_and_model(client):
    body = client.get("/health/ready").json
    assert body["status"] == "ready"
    assert body["checks"]["store"] == {"ok": True, "backend": "sqlite"}
    assert body["checks"]["model"]["ok"] is True


def test_readiness_503_names_the_store(make_app):
    app = make_app(RETRY_BASE_DELAY=5.0, RETRY_MAX_DELAY=5.0)  # a retried check: 15 s
    client = app.test_client()
    path = app.config["SQLITE_PATH"]
    app.extensions["store"].close()
    os.remove(path)
    os.mkdir(path)  # the database file is now a directory: unreadable
    try:
        started = time.monotonic()
        error = assert_error(client.get("/health/ready"), 503, "SERVICE_NOT_READY")
        assert time.monotonic() - started < 2.0  # readiness answers at once, no retries
        assert error["details"]["checks"]["store"] == {
            "ok": False,
            "backend": "sqlite",
            "error": "STORE_UNAVAILABLE",
        }
    finally:
        shutil.rmtree(path)


def test_openapi_describes_every_route(app, client):
    document = client.get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("pages."):
            continue  # pages for people (/docs, /demo), not the API
        path = rule.rule.replace("<uuid:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented
    create = document["paths"]["/api/conversations"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert "201" in create["responses"]


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"DEV_JWT_SECRET": "dev"}, "DEV_JWT_SECRET"),
        ({"CORS_ORIGINS": ["*"]}, "CORS_ORIGINS"),
        ({"MODEL_PROVIDER": "offline"}, "MODEL_PROVIDER"),
        ({"SUPABASE_URL": None}, "SUPABASE_URL"),
        ({"SUPABASE_PUBLISHABLE_KEY": None}, "SUPABASE_PUBLISHABLE_KEY"),
        ({"SUPABASE_SECRET_KEY": None}, "SUPABASE_SECRET_KEY"),
        ({"CORS_ORIGINS": [".*"]}, "CORS_ORIGINS"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path, overrides, named):
    safe = {
        "ENV_NAME": "production",
        "DEV_JWT_SECRET": None,
        "MODEL_PROVIDER": "bedrock",
        "STORE": "supabase",
        "SUPABASE_URL": "https://project.supabase.example",
        "SUPABASE_PUBLISHABLE_KEY": "sb_publishable_x",
        "SUPABASE_SECRET_KEY": "sb_secret_x",
    }
    config = app_config(tmp_path, **{**safe, **overrides})
    with pytest.raises(ConfigError, match=named):
        create_app(config)


def test_cli_init_seed_and_idempotence(runner, app):
    from canvalo_app.store.base import Identity

    assert runner.invoke(args=["init-db"]).exit_code == 0
    first = runner.invoke(args=["seed-demo", "--user", USER_A])
    assert first.exit_code == 0 and "Seeded" in first.output
    second = runner.invoke(args=["seed-demo", "--user", USER_A])
    assert "nothing seeded" in second.output
    store = app.extensions["store"].for_user(Identity(USER_A, "t"))
    statuses = {row["status"] for row in store.list_records("invoices", limit=100)}
    assert {"draft", "sent", "viewed", "partial", "paid", "overdue", "cancelled"} <= statuses
    types = {row["contact_type"] for row in store.list_records("contacts", limit=100)}
    assert {"lead", "client", "past_client", "vendor", "subcontractor", "partner"} <= types
    for table in (
        "appointments",
        "projects",
        "proposals",
        "reviews",
        "campaigns",
        "tasks",
        "goals",
    ):
        assert store.count_records(table) > 0


def test_the_agents_do_not_depend_on_the_offline_model():
    """Tools are model-independent: loading every agent loads nothing of the offline model."""
    code = (
        "import sys; from canvalo_app.agents.domains import agents; agents(); "
        "print([m for m in sys.modules if m.startswith('canvalo_app.devmodel')])"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "origin",
    [".*", "https://*.example.com", "https://app.example.com/", "app.example.com", "http://[::1]"],
)
def test_cors_origins_must_be_exact_in_every_environment(tmp_path, origin):
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        create_app(app_config(tmp_path, CORS_ORIGINS=["https://ok.example", origin]))


@pytest.mark.parametrize(
    "setting, value",
    [
        ("HEARTBEAT_SECONDS", 0),
        ("TURN_DEADLINE_SECONDS", -1),
        ("MAX_TOOL_CALLS", 0),
        ("RETRY_ATTEMPTS", 0),
        ("CONTENT_FLUSH_SECONDS", -0.5),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_impossible_settings_are_refused_at_start(tmp_path, setting, value):
    with pytest.raises(ConfigError, match=setting):
        create_app(app_config(tmp_path, **{setting: value}))


@pytest.mark.parametrize("limit", ["garbage", "ten per minute", ""])
def test_a_rate_limit_that_does_not_parse_is_refused_at_start(tmp_path, limit):
    with pytest.raises(ConfigError, match="RATE_LIMIT_CHAT"):
        create_app(app_config(tmp_path, RATE_LIMIT_CHAT=limit))


def test_exact_origins_are_accepted(tmp_path):
    origins = ["https://app.canvalo.example", "http://localhost:5173", "http://127.0.0.1:3000"]
    app = create_app(app_config(tmp_path, CORS_ORIGINS=origins))
    try:
        allowed = app.test_client().get("/health", headers={"Origin": "http://127.0.0.1:3000"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:3000"
        other = app.test_client().get("/health", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
    finally:
        app.extensions["store"].close()


def test_env_example_lists_every_setting_config_reads():
    root = Path(__file__).resolve().parent.parent
    read = set(
        re.findall(
            r'_(?:env|int|float|list|bool)\("([A-Z0-9_]+)"', (root / "config.py").read_text()
        )
    )
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (root / ".env.example").read_text(), re.MULTILINE))
    assert read and read == listed


def test_config_is_the_bottom_layer():
    """config.py, outside the package, imports nothing of the app (lint-imports checks the
    package's own layers; see pyproject.toml)."""
    tree = ast.parse((Path(__file__).parents[1] / "config.py").read_text())
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported and not {name for name in imported if name.startswith("canvalo_app")}


def test_no_function_of_the_product_is_over_50_lines():
    root = Path(__file__).parents[1]
    long = [
        f"{path.relative_to(root)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path in sorted((root / "canvalo_app").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > 50
    ]
    assert long == []


def test_test_modules_share_helpers_only_through_helper_modules():
    """Test modules import fixtures and helpers (conftest, helpers, agent_helpers, the
    scripted model, the emulators), never another test module."""
    root = Path(__file__).parent
    imports = [
        (path.name, node.module)
        for path in sorted(root.glob("test_*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests.test_")
    ]
    assert imports == []


WITHOUT_THE_DEVELOPMENT_MODEL = """
import importlib, pkgutil, sys
sys.modules["canvalo_app.devmodel"] = None  # as if the package were deleted
import canvalo_app
for module in pkgutil.walk_packages(canvalo_app.__path__, "canvalo_app."):
    if not module.name.startswith("canvalo_app.devmodel"):
        importlib.import_module(module.name)
app = canvalo_app.create_app({"ENV_NAME": "testing", "SQLITE_PATH": sys.argv[1],
                              "MODEL_PROVIDER": "bedrock", "AWS_REGION": "us-east-1"})
print(app.extensions["model"].describe()["provider"])
"""


def test_the_product_runs_without_the_development_model(tmp_path):
    """Every product module imports, and the app starts on Bedrock, with the development
    model gone: removing it means editing only providers.py (its offline branch)."""
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_DEVELOPMENT_MODEL, str(tmp_path / "db.sqlite3")],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "bedrock"
