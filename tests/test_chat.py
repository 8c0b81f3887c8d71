"""The chat stream: SSE framing, durability, resume, stop, idempotency, limits — through the
real app and store, with a scripted model at the provider edge."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
import uuid

import pytest

from canvalo_app import tickets
from canvalo_app.errors import AppError
from canvalo_app.llm.base import TextDelta
from tests.conftest import BOTH_ENGINES, BOTH_STORES, USER_A, USER_B, events, parse_sse
from tests.helpers import (
    answer_of,
    assert_error,
    assistant_row,
    conversation,
    read_until,
    routed,
    send,
    started,
    stream_events,
    wait_for,
)
from tests.scripted_model import Pause, Wait, install, say

pytestmark = [BOTH_STORES, BOTH_ENGINES]


def test_frames_headers_and_order(app, client, users):
    install(app, *routed(say("Two invoices are overdue.")))
    response = send(client, users.a)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache, no-transform"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "Content-Encoding" not in response.headers
    body = response.get_data(as_text=True)
    assert body.startswith(": ping\nevent: start\n")  # a heartbeat never ends an event
    frames = parse_sse(body)
    evts = events(frames)
    assert [e["_id"] for e in evts] == list(range(1, len(evts) + 1))
    for frame in (f for f in frames if "data" in f):
        assert frame["event"] == frame["data"]["type"]
    assert evts[0]["type"] == "start"
    assert set(evts[0]) >= {"conversation_id", "generation_id", "user_message_id", "message_id"}
    assert [e["type"] for e in evts].count("complete") == 1 and evts[-1]["type"] == "complete"
    assert evts[-1]["finish_reason"] == "end_turn"
    assert evts[-1]["usage"]["output_tokens"] > 0
    assert answer_of(evts) == "Two invoices are overdue."


def test_stored_conversation_matches_the_stream(app, client, users):
    install(app, *routed(say("Your average rating is 4.25.")))
    evts = stream_events(send(client, users.a, "What's my rating?"))
    start, done = evts[0], evts[-1]
    body = conversation(client, users.a, start["conversation_id"])
    user_msg, assistant = body["messages"]
    assert (user_msg["id"], user_msg["role"], user_msg["content"]) == (
        start["user_message_id"],
        "user",
        "What's my rating?",
    )
    assert assistant["id"] == start["message_id"] == done["message_id"]
    assert assistant["status"] == "complete"
    assert assistant["content"] == answer_of(evts)
    assert assistant["metadata"]["usage"] == done["usage"]
    assert body["title"] == "What's my rating?"


def test_continues_an_existing_conversation(app, client, users):
    model = install(app, *routed(say("First."), say("Second.")))
    first = stream_events(send(client, users.a, "one"))
    conversation_id = first[0]["conversation_id"]
    second = stream_events(send(client, users.a, "two", conversation_id=conversation_id))
    assert second[0]["conversation_id"] == conversation_id
    texts = [m["content"] for m in conversation(client, users.a, conversation_id)["messages"]]
    assert texts == ["one", "First.", "two", "Second."]
    history = model.requests[-1].messages
    assert [m["role"] for m in history] == ["user", "assistant", "user"]


def test_disconnect_does_not_stop_the_generation(app, client, users):
    install(app, *routed(say("one two three four five six seven eight", delay=0.05)))
    response = client.post(
        "/api/chat/stream", json={"message": "go"}, headers=users.a, buffered=False
    )
    chunks = iter(response.response)
    seen = ""
    while seen.count("event: token") < 2:
        seen += next(chunks).decode()
    start = events(parse_sse(seen))[0]
    response.close()  # the client goes away mid-answer
    assert wait_for(
        lambda: assistant_row(client, users.a, start["conversation_id"])["status"] == "complete"
    )
    row = assistant_row(client, users.a, start["conversation_id"])
    assert row["content"] == "one two three four five six seven eight"


def test_resume_replays_exactly_the_missing_events(app, client, users):
    install(app, *routed(say("alpha beta gamma delta")))
    evts = stream_events(send(client, users.a))
    generation = evts[0]["generation_id"]
    url = f"/api/chat/generations/{generation}/events"
    by_header = stream_events(client.get(url, headers={**users.a, "Last-Event-ID": "3"}))
    assert by_header == evts[3:]
    by_query = stream_events(client.get(f"{url}?after=1", headers=users.a))
    assert by_query == evts[1:]
    assert stream_events(client.get(url, headers=users.a)) == evts


def test_a_reconnect_after_the_last_event_gets_204(app, client, users):
    """EventSource reconnects whenever a response ends; 204 tells it nothing more will come."""
    install(app, *routed(say("alpha beta")))
    evts = stream_events(send(client, users.a))
    url = f"/api/chat/generations/{evts[0]['generation_id']}/events"
    last = str(evts[-1]["_id"])
    done = client.get(url, headers={**users.a, "Last-Event-ID": last})
    assert done.status_code == 204 and done.get_data() == b""
    assert client.get(f"{url}?after={last}", headers=users.a).status_code == 204
    before = client.get(url, headers={**users.a, "Last-Event-ID": str(int(last) - 1)})
    assert stream_events(before) == evts[-1:]


def test_resume_follows_a_live_generation(app, client, users):
    release = threading.Event()
    install(app, *routed([*say("before")[:1], Wait(release), *say(" after")]))
    response = client.post(
        "/api/chat/stream", json={"message": "go"}, headers=users.a, buffered=False
    )
    reader = iter(response.response)
    generation = started(reader)["generation_id"]
    response.close()
    threading.Timer(0.2, release.set).start()
    resumed = stream_events(
        client.get(f"/api/chat/generations/{generation}/events?after=1", headers=users.a)
    )
    assert resumed[-1]["type"] == "complete"
    assert answer_of(resumed) == "before after"


def test_stop_keeps_the_partial_answer(app, client, users):
    release = threading.Event()
    install(app, *routed([*say("partial answer")[:2], Wait(release, 5), *say(" never sent")]))
    response = client.post(
        "/api/chat/stream", json={"message": "go"}, headers=users.a, buffered=False
    )
    reader = iter(response.response)
    text = read_until(reader, "answer")
    generation = events(parse_sse(text))[0]["generation_id"]
    threading.Timer(0.1, release.set).start()
    stopped = client.post(f"/api/chat/generations/{generation}/stop", headers=users.a)
    assert stopped.status_code == 200
    assert stopped.json["status"] == "interrupted"
    assert stopped.json["content"] == "partial answer"
    rest = text + "".join(chunk.decode() for chunk in reader)
    evts = events(parse_sse(rest))
    assert evts[-1]["type"] == "complete" and evts[-1]["finish_reason"] == "stopped"
    assert [e["type"] for e in evts].count("complete") == 1


def test_provider_failure_mid_stream(app, client, users):
    install(app, *routed([*say("Half an")[:-2], AppError("MODEL_THROTTLED")]))
    evts = stream_events(send(client, users.a))
    assert [e["type"] for e in evts][-1] == "error"
    error = evts[-1]
    assert error["code"] == "MODEL_THROTTLED" and error["retryable"] is True
    assert error["error"] and error["suggested_actions"]
    row = assistant_row(client, users.a, evts[0]["conversation_id"])
    assert row["status"] == "error" and row["content"] == "Half an"
    assert row["metadata"]["error_code"] == "MODEL_THROTTLED"


def test_unexpected_crash_is_a_clean_error_event(app, client, users):
    install(app, *routed([*say("So")[:-2], RuntimeError("internal detail SELECT secret")]))
    response = send(client, users.a)
    evts = stream_events(response)
    assert evts[-1]["type"] == "error" and evts[-1]["code"] == "INTERNAL_ERROR"
    assert "secret" not in response.get_data(as_text=True)


@pytest.fixture
def app_with_store_down(make_app, store_backend):
    """An app whose store cannot be reached: PostgREST gone, or the SQLite file unreadable."""
    if store_backend == "supabase":
        yield make_app(SUPABASE_URL="http://127.0.0.1:9", SUPABASE_HTTP_TRANSPORT=None)
        return
    app = make_app()
    path = app.config["SQLITE_PATH"]
    app.extensions["store"].close()
    os.remove(path)
    os.mkdir(path)  # the database file is now a directory
    yield app
    shutil.rmtree(path)


def test_store_down_is_503_and_no_model_call(app_with_store_down, users):
    model = install(app_with_store_down, *routed(say("never")))
    client = app_with_store_down.test_client()
    assert_error(send(client, users.a), 503, "STORE_UNAVAILABLE")
    assert model.requests == []


def test_second_send_while_running_is_409(app, client, users):
    release = threading.Event()
    install(app, *routed([Wait(release), *say("first")], say("second")))
    first = client.post(
        "/api/chat/stream", json={"message": "one"}, headers=users.a, buffered=False
    )
    reader = iter(first.response)
    start = started(reader)
    busy = send(client, users.a, "two", conversation_id=start["conversation_id"])
    assert_error(busy, 409, "CONVERSATION_BUSY")
    release.set()
    read_until(reader, "event: complete")
    first.close()
    # The moment a client has read `complete`, the conversation is free again.
    again = send(client, users.a, "two", conversation_id=start["conversation_id"])
    assert again.status_code == 200, again.json
    assert stream_events(again)[-1]["type"] == "complete"


def test_same_client_message_id_reattaches(app, client, users):
    model = install(app, *routed(say("Only once.")))
    client_message_id = str(uuid.uuid4())
    first = stream_events(send(client, users.a, "hi", client_message_id=client_message_id))
    retry = stream_events(send(client, users.a, "hi", client_message_id=client_message_id))
    assert retry == first
    assert len(model.requests) == 2  # the route and the answer, once
    messages = conversation(client, users.a, first[0]["conversation_id"])["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]


def test_a_retry_that_says_what_it_has_seen_gets_only_the_rest(app, client, users):
    """fetch-event-source retries a cut POST with the same body and Last-Event-ID: the
    `start` event comes first again (without an id, so the client's last id stays), then
    only the events after the one it names."""
    install(app, *routed(say("one two three four")))
    client_message_id = str(uuid.uuid4())
    first = stream_events(send(client, users.a, "hi", client_message_id=client_message_id))
    response = client.post(
        "/api/chat/stream",
        json={"message": "hi", "client_message_id": client_message_id},
        headers={**users.a, "Last-Event-ID": "3"},
    )
    frames = [f for f in parse_sse(response.get_data(as_text=True)) if "data" in f]
    assert frames[0]["event"] == "start" and "id" not in frames[0]
    assert frames[0]["data"] == {k: v for k, v in first[0].items() if k != "_id"}
    assert [int(f["id"]) for f in frames[1:]] == [e["_id"] for e in first[3:]]
    assert events(frames[1:]) == first[3:]


def test_last_event_id_on_a_new_send_changes_nothing(app, client, users):
    install(app, *routed(say("fresh")))
    response = client.post(
        "/api/chat/stream",
        json={"message": "hi", "client_message_id": str(uuid.uuid4())},
        headers={**users.a, "Last-Event-ID": "7"},
    )
    evts = stream_events(response)
    assert [e["_id"] for e in evts] == list(range(1, len(evts) + 1))
    bad = client.post(
        "/api/chat/stream", json={"message": "hi"}, headers={**users.a, "Last-Event-ID": "x"}
    )
    assert_error(bad, 422, "VALIDATION_ERROR")


def dispatched(body: str) -> list[str]:
    """The messages fetch-event-source hands its onmessage: one at every blank line, with
    the data lines since the last one (comment lines skipped), as its parser does."""
    messages, data = [], []
    for line in body.split("\n")[:-1]:
        if line == "":
            messages.append("\n".join(data))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    return messages


def test_no_heartbeat_reaches_a_client_as_a_message(make_app, users):
    app = make_app(HEARTBEAT_SECONDS=0.05)
    install(app, *routed([Pause(0.3), *say("late")]))
    body = send(app.test_client(), users.a).get_data(as_text=True)
    messages = dispatched(body)
    assert body.count(": ping") >= 3
    assert all(messages) and len(messages) == len(stream_events_from(body))


def stream_events_from(body: str) -> list[dict]:
    return events(parse_sse(body))


def test_another_users_generation_is_404(app, client, users):
    install(app, *routed(say("Private.")))
    generation = stream_events(send(client, users.a))[0]["generation_id"]
    assert_error(
        client.get(f"/api/chat/generations/{generation}/events", headers=users.b),
        404,
        "GENERATION_NOT_FOUND",
    )
    assert_error(
        client.post(f"/api/chat/generations/{generation}/stop", headers=users.b),
        404,
        "GENERATION_NOT_FOUND",
    )
    assert_error(
        client.get(f"/api/chat/generations/{uuid.uuid4()}/events", headers=users.a),
        404,
        "GENERATION_NOT_FOUND",
    )


def test_another_user_cannot_stop_a_running_generation(app, client, users):
    release = threading.Event()
    install(app, *routed([*say("Mine so far")[:-2], Wait(release), *say(", and the rest.")]))
    first = client.post(
        "/api/chat/stream", json={"message": "one"}, headers=users.a, buffered=False
    )
    reader = iter(first.response)
    generation = started(reader)["generation_id"]
    assert_error(
        client.post(f"/api/chat/generations/{generation}/stop", headers=users.b),
        404,
        "GENERATION_NOT_FOUND",
    )
    release.set()
    text = read_until(reader, "event: complete")
    first.close()
    complete = events(parse_sse(text))[-1]
    assert complete["finish_reason"] == "end_turn"


def test_another_users_conversation_is_404(app, client, users):
    install(app, *routed(say("A's."), say("B's.")))
    conversation_id = stream_events(send(client, users.a))[0]["conversation_id"]
    assert_error(
        send(client, users.b, conversation_id=conversation_id), 404, "CONVERSATION_NOT_FOUND"
    )
    assert len(conversation(client, users.a, conversation_id)["messages"]) == 2


def test_deadline_ends_with_error_and_keeps_partial(make_app, users):
    app = make_app(TURN_DEADLINE_SECONDS=0.3)
    install(app, *routed(say("slow " * 40, delay=0.05)))
    client = app.test_client()
    evts = stream_events(send(client, users.a))
    assert evts[-1]["type"] == "error" and evts[-1]["code"] == "DEADLINE_EXCEEDED"
    row = assistant_row(client, users.a, evts[0]["conversation_id"])
    assert row["status"] == "error" and row["content"] == answer_of(evts)
    assert 0 < len(row["content"]) < len("slow " * 40)


def test_content_is_flushed_while_streaming(make_app, users):
    app = make_app(CONTENT_FLUSH_SECONDS=0.05)
    release = threading.Event()
    # A token arriving after the flush interval saves everything so far, even if the model
    # then goes quiet for a long time.
    answer = [TextDelta("saved "), Pause(0.1), TextDelta("early"), Wait(release), *say(" late")]
    install(app, *routed(answer))
    client = app.test_client()
    response = client.post(
        "/api/chat/stream", json={"message": "go"}, headers=users.a, buffered=False
    )
    reader = iter(response.response)
    start = started(reader)
    assert wait_for(
        lambda: assistant_row(client, users.a, start["conversation_id"])["content"] == "saved early"
    )
    assert assistant_row(client, users.a, start["conversation_id"])["status"] == "streaming"
    release.set()
    response.close()


def test_heartbeat_on_silence(make_app, users):
    app = make_app(HEARTBEAT_SECONDS=0.05)
    install(app, *routed([Pause(0.3), *say("late")]))
    body = send(app.test_client(), users.a).get_data(as_text=True)
    assert body.count(": ping\n") >= 3
    assert "\n\n: ping\n\n" not in body  # no block of its own, that a client could dispatch


def test_user_id_must_match_the_token(app, client, users):
    install(app, *routed(say("x")))
    assert_error(send(client, users.a, user_id=str(uuid.uuid4())), 403, "FORBIDDEN")
    ok = send(client, users.a, user_id=USER_A, history=[{"role": "user", "content": "ignored"}])
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({}, 422, "VALIDATION_ERROR"),
        ({"message": ""}, 422, "VALIDATION_ERROR"),
        ({"message": "   "}, 422, "VALIDATION_ERROR"),
        ({"message": 42}, 422, "VALIDATION_ERROR"),
        ({"message": "x" * 10001}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "conversation_id": "nope"}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "client_message_id": 7}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "temperature": 2}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "conversation_id": str(uuid.uuid4())}, 404, "CONVERSATION_NOT_FOUND"),
    ],
)
def test_bad_chat_input(app, client, users, body, status, code):
    model = install(app, *routed(say("x")))
    response = client.post("/api/chat/stream", json=body, headers=users.a)
    assert_error(response, status, code)
    assert model.requests == []


def test_malformed_json_and_no_token(client, users):
    assert_error(
        client.post("/api/chat/stream", data="{", content_type="application/json", headers=users.a),
        400,
        "BAD_REQUEST",
    )
    assert_error(client.post("/api/chat/stream", json={"message": "hi"}), 401, "AUTH_REQUIRED")


@pytest.mark.parametrize("last_event_id", ["²", "٣", "-1", "1.5", "99999999999"])
def test_resume_refuses_an_id_that_is_not_ascii_digits(app, client, users, last_event_id):
    install(app, *routed(say("Done.")))
    generation = stream_events(send(client, users.a))[0]["generation_id"]
    url = f"/api/chat/generations/{generation}/events"
    headers = {**users.a, "Last-Event-ID": last_event_id.encode().decode("latin-1")}
    assert_error(client.get(url, headers=headers), 422, "VALIDATION_ERROR")
    assert_error(client.get(f"{url}?after=10000000000", headers=users.a), 422, "VALIDATION_ERROR")


def test_a_message_that_is_not_valid_unicode_is_refused_before_anything_is_stored(
    app, client, users
):
    model = install(app, *routed(say("never")))
    refused = client.post(
        "/api/chat/stream",
        data='{"message": "hi \\ud800"}',
        content_type="application/json",
        headers=users.a,
    )
    assert_error(refused, 422, "VALIDATION_ERROR")
    assert model.requests == []
    assert client.get("/api/conversations", headers=users.a).json["total"] == 0


def test_a_body_without_a_length_is_held_to_the_size_limit(app, client, users):
    body = b'{"title": "padded"' + b" " * (app.config["MAX_CONTENT_LENGTH"] + 1000) + b"}"
    response = client.post(
        "/api/conversations",
        input_stream=io.BytesIO(body),
        headers={**users.a, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert client.get("/api/conversations", headers=users.a).json["total"] == 0


def test_the_resume_url_opens_the_events_with_no_header(app, client, users):
    install(app, *routed(say("Follow me anywhere.")))
    evts = stream_events(send(client, users.a))
    start = evts[0]
    assert start["resume_url"].startswith(
        f"/api/chat/generations/{start['generation_id']}/events?ticket="
    )
    replay = stream_events(client.get(start["resume_url"]))  # no Authorization header
    assert replay == evts


def test_a_resume_ticket_opens_its_own_generation_only(app, client, users):
    install(app, *routed(say("One."), say("Two.")))
    one = stream_events(send(client, users.a))[0]
    two = stream_events(send(client, users.a, "again"))[0]
    ticket = one["resume_url"].split("ticket=")[1]
    other = f"/api/chat/generations/{two['generation_id']}/events?ticket={ticket}"
    assert_error(client.get(other), 401, "TICKET_INVALID")
    assert_error(client.get(one["resume_url"][:-3] + "abc"), 401, "TICKET_INVALID")  # tampered
    secret = tickets.secret_of(app.config)
    stale = tickets.issue(secret, one["generation_id"], USER_A, now=time.time() - 601)
    url = f"/api/chat/generations/{one['generation_id']}/events?ticket={stale}"
    assert_error(client.get(url), 401, "TICKET_INVALID")
    assert_error(client.get(f"/api/conversations?ticket={ticket}"), 401, "AUTH_REQUIRED")


def test_a_ticket_for_another_user_finds_nothing(app, client, users):
    install(app, *routed(say("Mine.")))
    start = stream_events(send(client, users.a))[0]
    forged = tickets.issue(tickets.secret_of(app.config), start["generation_id"], USER_B)
    url = f"/api/chat/generations/{start['generation_id']}/events?ticket={forged}"
    assert_error(client.get(url), 404, "GENERATION_NOT_FOUND")
