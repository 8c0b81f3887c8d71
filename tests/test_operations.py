"""The service as an operator runs it: access logs, gunicorn's own refusals, `.env`, the
port check of `make run`, and refused CORS origins. gunicorn and make run for real."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from bench.server import ROOT, free_port, server_env, start_server, wait_ready
from tests.conftest import Users
from tests.helpers import ENVELOPE_KEYS

SECRET = "s3cr3t-t0ken-value"


def served(env: dict, requests: list[bytes]) -> tuple[list[bytes], str]:
    """Start gunicorn with `env`, send each raw request on its own connection, stop it; the
    answers and everything it printed."""
    process = start_server(env, output=subprocess.PIPE, errors=subprocess.STDOUT)
    answers = []
    try:
        assert wait_ready(env_port(env)), "gunicorn did not start"
        for raw in requests:
            with socket.create_connection(("127.0.0.1", env_port(env)), timeout=10) as sock:
                sock.sendall(raw)
                answers.append(read_all(sock))
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    return answers, out.decode()


def env_port(env: dict) -> int:
    return int(env["API_PORT"])


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: localhost", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def envelope_of(answer: bytes) -> tuple[int, dict, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_json_logs_end_to_end_with_the_request_id_and_no_secret(tmp_path):
    env = server_env(
        free_port(), tmp_path / "db.sqlite3", Users.secret, LOG_FORMAT="json", LOG_LEVEL="INFO"
    )
    (answer,), out = served(
        env,
        [
            get(f"/api/conversations?access_token={SECRET}&limit=5", "X-Request-ID: trace-42"),
        ],
    )
    assert answer.startswith(b"HTTP/1.1 401")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]  # every line JSON
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    ours = [line for line in access if line["path"].startswith("/api/conversations")]
    assert len(ours) == 1
    assert ours[0]["request_id"] == "trace-42"
    assert ours[0]["path"] == "/api/conversations?access_token=[REDACTED]&limit=5"
    assert ours[0]["status"] == 401 and ours[0]["method"] == "GET"
    assert SECRET not in out
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own too


def test_text_access_lines_carry_the_request_id_and_no_secret(tmp_path):
    env = server_env(free_port(), tmp_path / "db.sqlite3", Users.secret, LOG_LEVEL="INFO")
    _, out = served(env, [get(f"/health?ticket={SECRET}", "X-Request-ID: trace-7")])
    line = next(line for line in out.splitlines() if "trace-7" in line)
    assert "[trace-7] gunicorn.access" in line and '"GET /health?ticket=[REDACTED]" 200' in line
    assert SECRET not in out


def test_what_gunicorn_refuses_itself_is_answered_with_the_envelope(tmp_path):
    env = server_env(free_port(), tmp_path / "db.sqlite3", Users.secret, LOG_LEVEL="INFO")
    long_header = "X-Padding: " + "p" * 9000
    many_headers = [f"X-H{n}: {n}" for n in range(120)]
    answers, out = served(
        env,
        [
            get("/health?q=" + "a" * 9000 + f"&token={SECRET}"),
            get("/health", long_header),
            get("/health", *many_headers),
            b"NOT A REQUEST\r\n\r\n",
        ],
    )
    expected = [
        (414, "URI_TOO_LONG"),
        (431, "HEADERS_TOO_LARGE"),
        (431, "HEADERS_TOO_LARGE"),
        (400, "MALFORMED_REQUEST"),
    ]
    for answer, (status, code) in zip(answers, expected, strict=True):
        got_status, headers, body = envelope_of(answer)
        assert (got_status, body["error"]["code"]) == (status, code)
        assert headers["Content-Type"] == "application/json"
        assert set(body["error"]) == ENVELOPE_KEYS
        assert body["error"]["request_id"] == headers["X-Request-ID"]
    assert SECRET not in out


def test_gunicorn_reads_dot_env_as_the_app_does(tmp_path):
    """A copy of the project whose `.env` names the port: gunicorn binds it."""
    root = tmp_path / "project"
    shutil.copytree(
        ROOT, root, ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", "instance")
    )
    port = free_port()
    (root / ".env").write_text(
        f"API_PORT={port}\nSQLITE_PATH={tmp_path / 'db.sqlite3'}\nOFFLINE_TOKEN_DELAY=0\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("API_PORT", "PORT", "CANVALO_ENV")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_ready(port), "gunicorn did not bind the port named in .env"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_make_run_checks_the_port_first_and_names_the_setting(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {
            **os.environ,
            "CANVALO_ENV": "testing",
            "API_PORT": str(port),
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        }
        run = subprocess.run(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode != 0
    assert f"port {port}" in run.stderr and "API_PORT" in run.stderr
    assert "Dev token" not in run.stdout and "curl" not in run.stdout
    assert not (tmp_path / "db.sqlite3").exists()  # nothing done before the check


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:9999"])
def test_a_refused_cors_origin_is_logged_once_at_info(make_app, capsys, origin):
    client = make_app(CORS_ORIGINS=["https://app.canvalo.example"], LOG_LEVEL="INFO").test_client()
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    for _ in range(3):
        answer = client.options("/api/chat/stream", headers=preflight)
        assert "Access-Control-Allow-Origin" not in answer.headers
    allowed = {**preflight, "Origin": "https://app.canvalo.example"}
    answer = client.options("/api/chat/stream", headers=allowed)
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.canvalo.example"
    refused = [line for line in capsys.readouterr().out.splitlines() if "refused origin" in line]
    assert len(refused) == 1 and " INFO " in refused[0] and origin in refused[0]


def test_a_traceback_is_redacted_too(make_app, capsys):
    make_app(LOG_FORMAT="json")
    try:
        raise ValueError(f"GET /api/chat?access_token={SECRET}")
    except ValueError:
        logging.getLogger("canvalo_app.tests").exception("request failed")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "access_token=[REDACTED]" in line["exception"] and SECRET not in json.dumps(line)
