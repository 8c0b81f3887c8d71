"""The service as deployed: gunicorn with the gevent worker, a real socket, real streaming."""

from __future__ import annotations

import http.client
import json
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.server import ROOT, free_port, server_env, start_server, wait_ready
from tests.conftest import USER_A, Users, parse_sse
from tests.helpers import seed


@pytest.fixture(scope="module")
def server_db(tmp_path_factory):
    """A served app on a free port, and its SQLite file."""
    port = free_port()
    db = tmp_path_factory.mktemp("srv") / "db.sqlite3"
    env = server_env(port, db, Users.secret, OFFLINE_TOKEN_DELAY="0.05")
    seed(env)
    process = start_server(env, output=subprocess.PIPE)
    if not wait_ready(port):
        process.kill()
        pytest.fail("gunicorn did not start: " + process.stdout.read().decode()[-2000:])
    yield port, db
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(server_db):
    return server_db[0]


QUESTION = "which invoices are overdue?"


def open_stream(port: int, message: str = QUESTION):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "POST",
        "/api/chat/stream",
        body=json.dumps({"message": message}),
        headers={**Users().headers(USER_A), "Content-Type": "application/json"},
    )
    return connection, connection.getresponse()


def read_frames(response, stop_after_tokens: int | None = None):
    """Read frames as they arrive, with the time each one arrived."""
    frames, buffer = [], ""
    while True:
        line = response.readline().decode()
        if not line:
            return frames
        buffer += line
        if line == "\n":
            frame = parse_sse(buffer)[0]
            frames.append((time.monotonic(), frame))
            buffer = ""
            data = frame.get("data", {})
            if data.get("type") in ("complete", "error"):
                return frames
            tokens = sum(1 for _, f in frames if f.get("event") == "token")
            if stop_after_tokens and tokens >= stop_after_tokens:
                return frames


def test_tokens_arrive_one_by_one(server):
    connection, response = open_stream(server)
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert response.getheader("X-Accel-Buffering") == "no"
    frames = read_frames(response)
    connection.close()
    assert frames[0][1]["comment"] == "ping" and frames[0][1]["event"] == "start"
    tokens = [(t, f) for t, f in frames if f.get("event") == "token"]
    assert len(tokens) > 10
    spread = tokens[-1][0] - tokens[0][0]
    assert spread > 0.05 * (len(tokens) - 1) * 0.8  # streamed as produced, not buffered
    assert frames[-1][1]["event"] == "complete"


def test_disconnect_then_the_answer_is_saved(server):
    connection, response = open_stream(server)
    frames = read_frames(response, stop_after_tokens=2)
    start = frames[0][1]["data"]  # the heartbeat shares the start event's block
    connection.close()  # the browser tab goes away
    headers = Users().headers(USER_A)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        check = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
        check.request("GET", f"/api/conversations/{start['conversation_id']}", headers=headers)
        body = json.loads(check.getresponse().read())
        assistant = body["messages"][-1]
        if assistant["status"] != "streaming":
            break
        time.sleep(0.1)
    assert assistant["status"] == "complete"
    assert "INV-1002" in assistant["content"]


def test_shutdown_ends_streams_with_a_terminal_event(tmp_path):
    port = free_port()
    db = tmp_path / "db.sqlite3"
    env = server_env(port, db, Users.secret, OFFLINE_TOKEN_DELAY="0.3")
    seed(env)
    process = start_server(env)
    try:
        assert wait_ready(port), "gunicorn did not start"
        connection, response = open_stream(port)
        frames = read_frames(response, stop_after_tokens=1)
        process.send_signal(signal.SIGTERM)
        frames += read_frames(response)
        connection.close()
        assert frames[-1][1]["data"]["type"] == "error"
        assert frames[-1][1]["data"]["code"] == "SHUTTING_DOWN"
        process.wait(timeout=30)
    finally:
        process.kill()
    with sqlite3.connect(db) as conn:
        status, content = conn.execute(
            "SELECT status, content FROM agent_messages WHERE role = 'assistant'"
        ).fetchone()
    assert status == "interrupted" and content


def test_logs_go_to_stdout_only(tmp_path):
    port = free_port()
    env = server_env(
        port, tmp_path / "db.sqlite3", Users.secret, WEB_CONCURRENCY="4", LOG_LEVEL="INFO"
    )
    process = start_server(env, output=subprocess.PIPE, errors=subprocess.PIPE)
    try:
        assert wait_ready(port), "gunicorn did not start"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert err.decode() == ""
    log = out.decode()
    assert "Booting worker" in log and '"GET /health" 200' in log
    assert log.count("Booting worker") == 1  # one worker, whatever WEB_CONCURRENCY says


def limited_to(soft: int, hard: int):
    """A `preexec_fn` that starts the server under these open-file limits."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def open_file_limit(pid: int) -> tuple[int, int]:
    limits = Path(f"/proc/{pid}/limits").read_text().splitlines()
    row = next(line for line in limits if line.startswith("Max open files"))
    soft, hard = row.split()[3:5]
    return int(soft), int(hard)


def test_the_open_file_limit_is_raised_to_take_every_connection(tmp_path):
    port = free_port()
    env = server_env(port, tmp_path / "db.sqlite3", Users.secret, LOG_LEVEL="INFO")
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=limited_to(256, 4096),
    )
    try:
        assert wait_ready(port), "gunicorn did not start"
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert [open_file_limit(int(pid)) for pid in children] == [(4096, 4096)]
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    # A hard limit below what worker_connections needs is named, with the fix.
    assert "open-file limit 4096 is below the 10256" in out.decode()


HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(20)
"""


def test_a_locked_database_is_waited_for_without_blocking_the_worker(server_db):
    port, db = server_db
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        sent: dict = {}

        def send() -> None:
            began = time.monotonic()
            connection, response = open_stream(port, "which invoices are overdue?")
            sent["status"], sent["body"] = response.status, json.loads(response.read())
            sent["took"] = time.monotonic() - began
            connection.close()

        sender = threading.Thread(target=send)
        sender.start()
        slowest = 0.0
        while sender.is_alive():
            began = time.monotonic()
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/health")
            assert probe.getresponse().status == 200
            slowest = max(slowest, time.monotonic() - began)
            time.sleep(0.05)
        assert holder.poll() is None, "the lock was let go before the send gave up"
    finally:
        holder.kill()
    assert sent["status"] == 503 and sent["body"]["error"]["code"] == "STORE_UNAVAILABLE"
    assert sent["took"] < 6
    assert slowest < 0.1, f"/health took {slowest:.3f} s while the send waited"
    connection, response = open_stream(port)  # the lock is gone: sends work again
    assert read_frames(response)[-1][1]["event"] == "complete"
    connection.close()


def test_a_resume_ticket_never_reaches_the_access_log(tmp_path):
    port = free_port()
    env = server_env(port, tmp_path / "db.sqlite3", Users.secret, OFFLINE_TOKEN_DELAY="0")
    process = start_server(env, output=subprocess.PIPE, errors=subprocess.STDOUT)
    try:
        assert wait_ready(port), "gunicorn did not start"
        connection, response = open_stream(port)
        start = read_frames(response)[0][1]["data"]
        connection.close()
        replay = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        replay.request("GET", start["resume_url"])  # no Authorization header
        answer = replay.getresponse()
        assert answer.status == 200 and b"event: complete" in answer.read()
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    log = out.decode()
    assert f"/api/chat/generations/{start['generation_id']}/events" in log  # it was logged
    assert "?ticket=[REDACTED]" in log and start["resume_url"].split("=")[1] not in log
