"""A send retried while the first is still in flight: one message, one answer, one stream.

Clients retry a send they lost the answer to, often before the first request has finished.
Every copy of a send with the same `client_message_id` must re-attach to one generation, on
both stores, with the real app and a scripted model that is still answering when they arrive.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest

from canvalo_app.errors import AppError
from tests.conftest import BOTH_ENGINES, BOTH_STORES, USER_A, USER_B, user_store
from tests.helpers import (
    assert_error,
    conversation,
    read_until,
    routed,
    send,
    started,
    stream_events,
)
from tests.pgstack_fixture import pgstack_module
from tests.scripted_model import Wait, install, say

pytestmark = [BOTH_STORES, BOTH_ENGINES]

SENDERS = 8
EARLIER, LATER = "2025-03-01T09:00:00+00:00", "2025-03-01T09:00:01+00:00"


@pytest.fixture
def app(make_app):
    return make_app(RATE_LIMIT_CHAT="100 per minute")


def send_together(apps: list, headers, count: int = SENDERS, **body) -> list:
    """`count` copies of one send, released at the same moment, each on its own client; the
    copies take turns among `apps` (the workers)."""
    gate = threading.Barrier(count)

    def one(n):
        client = apps[n % len(apps)].test_client()
        gate.wait()
        return send(client, headers, "Paint the hallway?", **body)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def assert_one_turn(client, users, responses, release) -> list[dict]:
    """Every copy got 200 and the same stream; the store holds one question and one answer."""
    assert [r.status_code for r in responses] == [200] * len(responses), [
        r.get_json(silent=True) for r in responses
    ]
    release.set()
    streams = [stream_events(r) for r in responses]
    assert streams[0][-1]["type"] == "complete"
    assert all(evts == streams[0] for evts in streams)
    conversation_id = streams[0][0]["conversation_id"]
    listed = client.get("/api/conversations", headers=users.a).json
    assert [c["id"] for c in listed["conversations"]] == [conversation_id]
    messages = conversation(client, users.a, conversation_id)["messages"]
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    return streams[0]


def test_concurrent_copies_of_a_new_conversations_first_send_start_one_turn(app, users):
    release = threading.Event()
    model = install(app, *routed([Wait(release), *say("Once, and only once.")]))
    client_message_id = str(uuid.uuid4())
    responses = send_together([app], users.a, client_message_id=client_message_id)
    first = assert_one_turn(app.test_client(), users, responses, release)
    assert len(model.requests) == 2  # the route and the answer, once
    # A copy that arrives after the answer finished re-attaches too, as a sequential retry does.
    late = send(
        app.test_client(), users.a, "Paint the hallway?", client_message_id=client_message_id
    )
    assert stream_events(late) == first


def test_concurrent_copies_of_a_send_into_a_conversation_start_one_turn(app, client, users):
    created = client.post("/api/conversations", json={"title": "Hallway"}, headers=users.a)
    release = threading.Event()
    model = install(app, *routed([Wait(release), *say("Once, and only once.")]))
    responses = send_together(
        [app],
        users.a,
        conversation_id=created.json["id"],
        client_message_id=str(uuid.uuid4()),
    )
    first = assert_one_turn(client, users, responses, release)
    assert first[0]["conversation_id"] == created.json["id"]
    assert len(model.requests) == 2


def test_copies_sent_to_two_workers_store_one_message(make_app, users, engine):
    """In memory each worker knows only its own generations: the store lets one copy in, and
    the other worker answers its copies as duplicates. On Redis every copy, on either worker,
    re-attaches to the one generation. No empty conversation is left behind."""
    workers = [make_app(RATE_LIMIT_CHAT="100 per minute") for _ in range(2)]
    release = threading.Event()
    models = [install(worker, *routed([Wait(release), *say("Once.")])) for worker in workers]
    responses = send_together(workers, users.a, client_message_id=str(uuid.uuid4()))
    winner = 0 if responses[0].status_code == 200 else 1
    if engine == "redis":
        assert [response.status_code for response in responses] == [200] * len(responses)
        winner = 0 if models[0].requests else 1
    else:
        for n, response in enumerate(responses):
            if n % 2 == winner:
                assert response.status_code == 200, response.json
            else:
                assert_error(response, 409, "DUPLICATE_MESSAGE")
    release.set()
    streams = [stream_events(r) for r in responses if r.status_code == 200]
    assert streams[0][-1]["type"] == "complete" and all(s == streams[0] for s in streams)
    client = workers[winner].test_client()
    listed = client.get("/api/conversations", headers=users.a).json["conversations"]
    assert [c["id"] for c in listed] == [streams[0][0]["conversation_id"]]
    messages = conversation(client, users.a, listed[0]["id"])["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert [len(model.requests) for model in models] == [2 if n == winner else 0 for n in (0, 1)]


def test_another_message_into_the_busy_conversation_is_still_409(app, client, users):
    release = threading.Event()
    install(app, *routed([Wait(release), *say("First.")]))
    body = {"message": "one", "client_message_id": str(uuid.uuid4())}
    first = client.post("/api/chat/stream", json=body, headers=users.a, buffered=False)
    reader = iter(first.response)
    conversation_id = started(reader)["conversation_id"]
    other = send(
        client, users.a, "two", conversation_id=conversation_id, client_message_id=str(uuid.uuid4())
    )
    assert_error(other, 409, "CONVERSATION_BUSY")
    release.set()
    read_until(reader, "event: complete")
    first.close()


def test_a_running_sends_client_message_id_never_joins_it_from_another_conversation(
    app, client, users
):
    """An edit or a send in one conversation with the client_message_id of a generation
    running in another gets 409 DUPLICATE_MESSAGE, never that other generation's stream."""
    release = threading.Event()
    install(app, *routed(say("Other answer."), [Wait(release), *say("First.")]))
    other = stream_events(send(client, users.a, "Another job"))[0]
    client_message_id = str(uuid.uuid4())
    body = {"message": "one", "client_message_id": client_message_id}
    first = client.post("/api/chat/stream", json=body, headers=users.a, buffered=False)
    reader = iter(first.response)
    running = started(reader)["conversation_id"]
    other_id, question = other["conversation_id"], other["user_message_id"]
    edited = client.post(
        f"/api/conversations/{other_id}/messages/{question}/edit",
        json={"message": "Edited", "client_message_id": client_message_id},
        headers=users.a,
    )
    assert_error(edited, 409, "DUPLICATE_MESSAGE")
    sent = send(
        client, users.a, "one", conversation_id=other_id, client_message_id=client_message_id
    )
    assert_error(sent, 409, "DUPLICATE_MESSAGE")
    release.set()
    read_until(reader, "event: complete")
    first.close()
    for conversation_id, count in ((other_id, 2), (running, 2)):
        assert len(conversation(client, users.a, conversation_id)["messages"]) == count


def test_the_same_client_message_id_is_free_for_another_user(app, client, users):
    install(app, *routed(say("For A."), say("For B.")))
    client_message_id = str(uuid.uuid4())
    mine = stream_events(send(client, users.a, "hi", client_message_id=client_message_id))
    theirs = stream_events(send(client, users.b, "hi", client_message_id=client_message_id))
    assert mine[0]["conversation_id"] != theirs[0]["conversation_id"]
    assert mine[-1]["type"] == theirs[-1]["type"] == "complete"
    for user in (USER_A, USER_B):
        found = user_store(app, users, user).find_message_by_client_id(client_message_id)
        assert found is not None and found["role"] == "user"


def test_a_store_that_already_holds_a_send_twice_keeps_the_first(app, users, request):
    """Sends that raced before the unique index existed: applying the schema again keeps
    every message, leaves the client_message_id on the first, and then refuses copies."""
    on_postgres = app.extensions["store"].name == "supabase"
    prefix = "api." if on_postgres else ""
    conversation_id, first, second, client_id = (str(uuid.uuid4()) for _ in range(4))
    # A database from before the index also has no record of the migration that made it.
    forget = (
        "public.schema_migrations WHERE version = '0004'"
        if on_postgres
        else "schema_migrations WHERE version = '0001'"
    )
    script = f"""
        DROP INDEX {prefix}agent_messages_user_client_message;
        DELETE FROM {forget};
        INSERT INTO {prefix}agent_conversations (id, user_id, title, created_at, updated_at)
             VALUES ('{conversation_id}', '{USER_A}', 'Raced', '{EARLIER}', '{EARLIER}');
        INSERT INTO {prefix}agent_messages
               (id, conversation_id, user_id, role, client_message_id, created_at, updated_at)
        VALUES ('{second}', '{conversation_id}', '{USER_A}', 'user', '{client_id}',
                '{LATER}', '{LATER}'),
               ('{first}', '{conversation_id}', '{USER_A}', 'user', '{client_id}',
                '{EARLIER}', '{EARLIER}');
        -- One branch, oldest first, as migration 0008 leaves the messages written before it.
        UPDATE {prefix}agent_messages SET parent_id = '{first}' WHERE id = '{second}';
        UPDATE {prefix}agent_conversations SET active_leaf_id = '{second}'
         WHERE id = '{conversation_id}';
    """
    if on_postgres:
        stack = request.getfixturevalue("pgstack")
        stack.psql(script)
        pgstack_module.apply_migrations(stack.db_url)
    else:
        with closing(sqlite3.connect(app.config["SQLITE_PATH"])) as db:
            db.executescript(script)
        app.extensions["store"].init_schema()
    store = user_store(app, users)
    messages, total = store.list_messages(conversation_id, 10, 0)
    assert total == 2
    assert [m["client_message_id"] for m in messages] == [client_id, None]
    assert store.find_message_by_client_id(client_id)["id"] == first
    with pytest.raises(AppError) as refused:
        store.add_message(conversation_id, "user", "again", client_message_id=client_id)
    assert refused.value.code == "DUPLICATE_MESSAGE"
