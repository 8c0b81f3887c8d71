"""The Redis engine across workers: two apps (two workers) on one SQLite file and one real
redis-server. A generation started on one is resumed, stopped, de-duplicated and refused on
the other; its keys last the retention; when Redis goes away, running streams end with one
terminal error, sends fail at once, and service comes back with Redis, without a restart."""

from __future__ import annotations

import tempfile
import threading
import time
import uuid

import pytest

from tests.conftest import events, parse_sse
from tests.helpers import (
    answer_of,
    assert_error,
    assistant_row,
    read_until,
    routed,
    send,
    stream_events,
    wait_for,
)
from tests.redis_fixture import start_redis
from tests.scripted_model import Pause, Wait, install, say

pytestmark = pytest.mark.parametrize("engine", ["redis"], indirect=True)


def live_send(client, headers, **body):
    response = client.post(
        "/api/chat/stream", json={"message": "go", **body}, headers=headers, buffered=False
    )
    return response, iter(response.response)


@pytest.fixture
def workers(make_app):
    return [make_app(RATE_LIMIT_CHAT="100 per minute") for _ in range(2)]


def test_resume_on_another_worker_has_no_gap_and_no_repeat(workers, users):
    one, two = workers
    words = " ".join(f"w{n}" for n in range(12))
    install(one, *routed(say(words, delay=0.02)))
    response, reader = live_send(one.test_client(), users.a)
    seen = events(parse_sse(read_until(reader, "w3")))
    response.close()  # the connection drops mid-answer
    generation = seen[0]["generation_id"]
    resumed = stream_events(
        two.test_client().get(
            f"/api/chat/generations/{generation}/events",
            headers={**users.a, "Last-Event-ID": str(seen[-1]["_id"])},
        )
    )
    whole = seen + resumed
    assert [e["_id"] for e in whole] == list(range(1, len(whole) + 1))
    assert whole[-1]["type"] == "complete"
    row = wait_for(
        lambda: (
            assistant_row(two.test_client(), users.a, seen[0]["conversation_id"])["status"]
            == "complete"
        )
    )
    assert row
    stored = assistant_row(two.test_client(), users.a, seen[0]["conversation_id"])
    assert stored["content"] == answer_of(whole) == words


def test_stop_on_another_worker_ends_the_generation_within_a_second(workers, users):
    one, two = workers
    release = threading.Event()
    install(one, *routed([*say("partial answer")[:2], Wait(release, 10), *say(" never")]))
    response, reader = live_send(one.test_client(), users.a)
    text = read_until(reader, "answer")
    generation = events(parse_sse(text))[0]["generation_id"]
    started = time.monotonic()
    stopped = two.test_client().post(f"/api/chat/generations/{generation}/stop", headers=users.a)
    assert time.monotonic() - started < 1.0
    release.set()
    assert stopped.status_code == 200
    assert (stopped.json["status"], stopped.json["content"]) == ("interrupted", "partial answer")
    evts = events(parse_sse(text + "".join(chunk.decode() for chunk in reader)))
    assert [e["type"] for e in evts].count("complete") == 1
    assert evts[-1]["finish_reason"] == "stopped"


def test_busy_conversation_and_client_message_id_hold_across_workers(workers, users):
    one, two = workers
    release = threading.Event()
    model_one = install(one, *routed([Wait(release), *say("Once.")]))
    model_two = install(two, *routed(say("Never.")))
    client_message_id = str(uuid.uuid4())
    response, reader = live_send(one.test_client(), users.a, client_message_id=client_message_id)
    start = events(parse_sse(read_until(reader, "event: start")))[0]
    busy = send(two.test_client(), users.a, "again", conversation_id=start["conversation_id"])
    assert_error(busy, 409, "CONVERSATION_BUSY")
    copy = two.test_client().post(
        "/api/chat/stream",
        json={"message": "go", "client_message_id": client_message_id},
        headers=users.a,
        buffered=False,
    )
    release.set()
    copied = stream_events(copy)
    assert copied[0] == start and copied[-1]["type"] == "complete"
    assert answer_of(copied) == "Once."
    assert len(model_one.requests) == 2 and model_two.requests == []
    response.close()
    # Ended: the conversation takes the next message, on either worker.
    after = stream_events(send(two.test_client(), users.a, "next", **_in(start)))
    assert after[-1]["type"] == "complete"


def _in(start: dict) -> dict:
    return {"conversation_id": start["conversation_id"]}


def test_another_users_generation_is_404_on_every_worker(workers, users):
    one, two = workers
    release = threading.Event()
    install(one, *routed([Wait(release), *say("Mine.")]))
    response, reader = live_send(one.test_client(), users.a)
    generation = events(parse_sse(read_until(reader, "event: start")))[0]["generation_id"]
    for worker in workers:
        client = worker.test_client()
        url = f"/api/chat/generations/{generation}"
        assert_error(client.get(f"{url}/events", headers=users.b), 404, "GENERATION_NOT_FOUND")
        assert_error(client.post(f"{url}/stop", headers=users.b), 404, "GENERATION_NOT_FOUND")
    release.set()
    assert "event: complete" in read_until(reader, "event: complete")
    response.close()


def test_an_ended_generation_is_kept_for_the_retention_and_then_forgotten(
    make_app, users, redis_server
):
    app = make_app(GENERATION_RETENTION_SECONDS=1)
    install(app, *routed(say("Kept a while.")))
    evts = stream_events(send(app.test_client(), users.a))
    generation, conversation_id = evts[0]["generation_id"], evts[0]["conversation_id"]
    redis = redis_server.client()
    for key in (f"canvalo:gen:g:{generation}", f"canvalo:gen:g:{generation}:log"):
        assert 0 < redis.pttl(key) <= 1000
    assert redis.xlen(f"canvalo:gen:g:{generation}:log") == len(evts)
    assert not redis.exists(f"canvalo:gen:c:{conversation_id}")  # the conversation is free
    url = f"/api/chat/generations/{generation}/events"
    assert stream_events(app.test_client().get(url, headers=users.a)) == evts
    time.sleep(1.2)
    assert_error(app.test_client().get(url, headers=users.a), 404, "GENERATION_NOT_FOUND")


@pytest.fixture
def own_redis():
    """A redis-server of this test's own, to stop and start again: yields it, its directory,
    and the list every server started again on its port goes in (all are stopped after)."""
    with tempfile.TemporaryDirectory(prefix="canvalo-redis-") as directory:
        servers = [start_redis(directory)]
        yield servers[0], directory, servers
        for server in servers:
            server.process.kill()
            server.process.wait()


def test_redis_lost_ends_streams_fails_sends_and_recovers(make_app, users, own_redis):
    server, directory, servers = own_redis
    app = make_app(REDIS_URL=server.url, WORKER_RENEW_SECONDS=0.2, WORKER_LEASE_SECONDS=1)
    client = app.test_client()
    release = threading.Event()
    install(app, *routed([*say("kept words")[:2], Wait(release, 20), *say(" lost")]))
    response, reader = live_send(client, users.a)
    text = read_until(reader, "words")
    server.process.kill()
    server.process.wait()
    started = time.monotonic()
    rest = "".join(chunk.decode() for chunk in reader)
    assert time.monotonic() - started < 3  # noticed at the next lease renewal
    release.set()
    evts = events(parse_sse(text + rest))
    terminals = [e for e in evts if e["type"] in ("complete", "error")]
    assert [(e["type"], e["code"]) for e in terminals] == [("error", "ENGINE_UNAVAILABLE")]
    assert terminals[0]["retryable"] is True
    row = assistant_row(client, users.a, evts[0]["conversation_id"])
    assert (row["status"], row["content"]) == ("interrupted", "kept words")
    started = time.monotonic()
    assert_error(send(client, users.a, "while down"), 503, "ENGINE_UNAVAILABLE")
    assert time.monotonic() - started < 2
    ready = assert_error(client.get("/health/ready"), 503, "SERVICE_NOT_READY")
    assert ready["details"]["checks"]["generations"]["error"] == "REDIS_UNAVAILABLE"
    servers.append(start_redis(directory, port=int(server.url.rsplit(":", 1)[1].split("/")[0])))
    install(app, *routed(say("Back again.")))
    assert wait_for(lambda: client.get("/health/ready").status_code == 200)
    evts = stream_events(send(client, users.a, "after"))
    assert evts[-1]["type"] == "complete" and answer_of(evts) == "Back again."
    response.close()


def test_a_lapsed_worker_is_taken_over(make_app, users, redis_server):
    """A worker that stops renewing its lease (here: its lease loop is stopped, as a kill
    would) has its generation ended by the other worker: one WORKER_LOST, the row
    `interrupted` with all the text of its log, the conversation free again."""
    quick = {"WORKER_RENEW_SECONDS": 0.2, "WORKER_LEASE_SECONDS": 1}
    lost, survivor = make_app(**quick), make_app(**quick)
    release = threading.Event()
    install(lost, *routed([*say("all these words")[:3], Pause(0.01), Wait(release, 20)]))
    response, reader = live_send(lost.test_client(), users.a)
    seen = events(parse_sse(read_until(reader, "these")))
    lost.extensions["generations"].close()  # no more renewals: the lease lapses
    response.close()
    survivor.extensions["generations"].start()
    generation = seen[0]["generation_id"]
    started = time.monotonic()
    resumed = stream_events(
        survivor.test_client().get(
            f"/api/chat/generations/{generation}/events",
            headers={**users.a, "Last-Event-ID": str(seen[-1]["_id"])},
        )
    )
    assert time.monotonic() - started < 1 + 5
    assert [(e["type"], e.get("code")) for e in resumed][-1:] == [("error", "WORKER_LOST")]
    assert [e["type"] for e in resumed].count("error") == 1
    assert resumed[-1]["retryable"] is True and resumed[-1]["suggested_actions"]
    row = assistant_row(survivor.test_client(), users.a, seen[0]["conversation_id"])
    assert row["status"] == "interrupted"
    assert row["content"].startswith(answer_of(seen)) and row["metadata"]["error_code"] == (
        "WORKER_LOST"
    )
    install(survivor, *routed(say("Next one.")))
    evts = stream_events(send(survivor.test_client(), users.a, "again", **_in(seen[0])))
    assert evts[-1]["type"] == "complete"
    # The lost worker wakes up: its next word is refused, and it ends its own copy too.
    release.set()
    assert wait_for(lambda: not lost.extensions["generations"].running())
    row = conversation_rows(survivor, users)[seen[0]["message_id"]]
    assert (row["status"], row["metadata"]["error_code"]) == ("interrupted", "WORKER_LOST")


def conversation_rows(app, users) -> dict:
    listed = app.test_client().get("/api/conversations", headers=users.a).json["conversations"]
    return {
        message["id"]: message
        for item in listed
        for message in app.test_client()
        .get(f"/api/conversations/{item['id']}", headers=users.a)
        .json["messages"]
    }
