"""Several workers and instances on one Redis, as deployed: gunicorn masters with gevent
workers on real sockets, one SQLite file, one redis-server.

Every request here opens a new connection, so it lands on any worker of its instance; the
access log records which worker (process id) answered each request, and the tests check
that generations really were read and stopped from workers that did not run them.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from bench.server import free_port, server_env
from tests.conftest import USER_B, Users
from tests.helpers import seed
from tests.live_server import HEADERS, Instance, json_of, read_events, request
from tests.redis_fixture import RedisServer

QUESTION = "which invoices are overdue?"


@pytest.fixture(scope="module")
def cluster_env(tmp_path_factory, redis_server: RedisServer):
    """The settings every instance shares: one SQLite file (seeded), one Redis."""
    redis_server.client().flushdb()
    directory = tmp_path_factory.mktemp("cluster")
    db = directory / "db.sqlite3"

    def env(port: int, workers: int, **settings) -> dict:
        shared = {
            "REDIS_URL": redis_server.url,
            "WEB_CONCURRENCY": str(workers),
            "OFFLINE_TOKEN_DELAY": "0.05",
            "RATE_LIMIT_CHAT": "1000 per minute",
            "WORKER_RENEW_SECONDS": "0.5",
            "WORKER_LEASE_SECONDS": "3",
        }
        return server_env(port, db, Users.secret, **{**shared, **settings})

    seed(env(0, 1))
    return env, directory


def serve(cluster_env, name: str, workers: int):
    env, directory = cluster_env
    instance = Instance(env(free_port(), workers), directory / f"{name}.log")
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def three_workers(cluster_env):
    """Instance A: three workers."""
    yield from serve(cluster_env, "three", 3)


@pytest.fixture(scope="module")
def second_instance(cluster_env):
    """Instance B: one worker, on the same Redis and SQLite file."""
    yield from serve(cluster_env, "second", 1)


def stream(port: int, body: dict, headers=HEADERS, until=None):
    connection, response = request(port, "POST", "/api/chat/stream", body, headers)
    assert response.status == 200, response.read()
    return connection, read_events(response, until)


def resume(port: int, generation: str, after: int, headers=HEADERS) -> list[dict]:
    path = f"/api/chat/generations/{generation}/events"
    connection, response = request(
        port, "GET", path, headers={**headers, "Last-Event-ID": str(after)}
    )
    try:
        assert response.status == 200, response.read()
        return read_events(response)
    finally:
        connection.close()


def tokens(found: list[dict]) -> str:
    return "".join(e["content"] for e in found if e["type"] == "token")


def stored_answer(port: int, conversation_id: str, status: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        _, body = json_of(port, "GET", f"/api/conversations/{conversation_id}")
        row = body["messages"][-1]
        if row["status"] == status or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def after_tokens(count: int):
    return lambda found: sum(e["type"] == "token" for e in found) >= count


# -- The streaming checks, each against any worker ---------------------------------------


def check_stream_and_resume(send_port: int, read_port: int) -> str:
    connection, seen = stream(send_port, {"message": QUESTION}, until=after_tokens(3))
    connection.close()  # dropped mid-answer
    start = seen[0]
    rest = resume(read_port, start["generation_id"], seen[-1]["_id"])
    whole = seen + rest
    assert [e["_id"] for e in whole] == list(range(1, len(whole) + 1))  # no gap, no repeat
    assert whole[-1]["type"] == "complete"
    row = stored_answer(read_port, start["conversation_id"], "complete")
    assert row["content"] == tokens(whole) and "INV-1002" in row["content"]
    return start["generation_id"]


def check_stop(send_port: int, stop_port: int) -> str:
    connection, seen = stream(send_port, {"message": QUESTION}, until=after_tokens(2))
    start = seen[0]
    began = time.monotonic()
    status, row = json_of(stop_port, "POST", f"/api/chat/generations/{start['generation_id']}/stop")
    assert status == 200 and time.monotonic() - began < 1.5
    assert row["status"] == "interrupted"
    connection.close()
    rest = resume(stop_port, start["generation_id"], seen[-1]["_id"])
    assert [e["type"] for e in seen + rest].count("complete") == 1
    assert rest[-1]["finish_reason"] == "stopped"
    assert row["content"] == tokens(seen + rest)
    return start["generation_id"]


def check_busy_and_same_send(send_port: int, other_port: int) -> None:
    client_message_id = str(uuid.uuid4())
    body = {"message": QUESTION, "client_message_id": client_message_id}
    connection, seen = stream(send_port, body, until=after_tokens(1))
    start = seen[0]
    status, error = json_of(
        other_port,
        "POST",
        "/api/chat/stream",
        {"message": "and another", "conversation_id": start["conversation_id"]},
    )
    assert (status, error["error"]["code"]) == (409, "CONVERSATION_BUSY")
    copy_connection, copy = stream(other_port, body)  # a retry of the same send
    assert copy[0] == start and copy[-1]["type"] == "complete"
    assert [e["_id"] for e in copy] == list(range(1, len(copy) + 1))
    connection.close()
    copy_connection.close()


def check_another_user_gets_404(send_port: int, other_port: int) -> None:
    connection, seen = stream(send_port, {"message": QUESTION}, until=after_tokens(1))
    generation = seen[0]["generation_id"]
    other = Users().headers(USER_B)
    for port in (send_port, other_port):
        path = f"/api/chat/generations/{generation}"
        for method, suffix in (("GET", "/events"), ("POST", "/stop")):
            status, body = json_of(port, method, path + suffix, headers=other)
            assert (status, body["error"]["code"]) == (404, "GENERATION_NOT_FOUND")
    connection.close()


def test_the_streaming_checks_pass_on_three_workers(three_workers):
    port = three_workers.port
    resumed, stopped = [], []
    for _ in range(4):
        resumed.append(check_stream_and_resume(port, port))
        stopped.append(check_stop(port, port))
        check_busy_and_same_send(port, port)
        check_another_user_gets_404(port, port)
    served = three_workers.served()
    assert len(three_workers.workers()) == 3
    assert len({pid for pid, *_ in served}) >= 2, "every request went to one worker"
    assert all(status != 500 for *_, status in served)


def test_three_workers_on_one_sqlite_file_lose_nothing(three_workers):
    """Sends at once from many clients, spread over the three workers: every message and
    every answer is stored, complete, and equal to what streamed."""
    port, results = three_workers.port, []

    def chat(n: int) -> None:
        connection, found = stream(port, {"message": f"{QUESTION} ({n})"})
        connection.close()
        results.append(found)

    threads = [threading.Thread(target=chat, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 30
    for found in results:
        assert found[-1]["type"] == "complete"
        start = found[0]
        _, body = json_of(port, "GET", f"/api/conversations/{start['conversation_id']}")
        user, answer = body["messages"]
        assert (user["id"], answer["id"]) == (start["user_message_id"], start["message_id"])
        assert (answer["status"], answer["content"]) == ("complete", tokens(found))


def test_two_instances_share_every_generation(three_workers, second_instance):
    a, b = three_workers.port, second_instance.port
    check_stream_and_resume(a, b)
    check_stop(a, b)
    check_busy_and_same_send(a, b)
    check_another_user_gets_404(a, b)
    check_stream_and_resume(b, a)


def test_a_killed_instance_is_taken_over_by_the_other(cluster_env, second_instance):
    env, directory = cluster_env
    doomed = Instance(env(free_port(), 2, OFFLINE_TOKEN_DELAY="0.2"), directory / "doomed.log")
    connection, seen = stream(doomed.port, {"message": QUESTION}, until=after_tokens(4))
    start = seen[0]
    doomed.kill()
    connection.close()
    killed_at = time.monotonic()
    rest = resume(second_instance.port, start["generation_id"], seen[-1]["_id"])
    assert time.monotonic() - killed_at < 20
    terminals = [e for e in rest if e["type"] in ("complete", "error")]
    assert [(e["type"], e["code"]) for e in terminals] == [("error", "WORKER_LOST")]
    assert terminals[0]["retryable"] is True
    whole = seen + rest
    assert [e["_id"] for e in whole] == list(range(1, len(whole) + 1))
    row = stored_answer(second_instance.port, start["conversation_id"], "interrupted", timeout=0)
    assert row["status"] == "interrupted"
    assert row["content"].startswith(tokens(seen)) and row["content"] == tokens(whole)
    body = {"message": "and now?", "conversation_id": start["conversation_id"]}
    connection, after = stream(second_instance.port, body)
    assert after[-1]["type"] == "complete"
    connection.close()
    doomed.log.close()
