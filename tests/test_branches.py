"""Branches: regenerate the last answer, edit a user message, switch the active branch —
through the real app on both stores, with a scripted model at the provider edge that
records what it was shown."""

from __future__ import annotations

import threading
import uuid

import pytest

from canvalo_app.errors import AppError
from canvalo_app.store.values import NewMessage
from tests.conftest import BOTH_STORES, USER_B, events, parse_sse, user_store
from tests.helpers import (
    answer_of,
    assert_error,
    conversation,
    read_until,
    routed,
    send,
    stream_events,
)
from tests.scripted_model import Wait, install, say

pytestmark = BOTH_STORES


def regenerate(client, headers, conversation_id, message_id, **kwargs):
    url = f"/api/conversations/{conversation_id}/messages/{message_id}/regenerate"
    return client.post(url, headers=headers, **kwargs)


def edit(client, headers, conversation_id, message_id, message="Edited", **body):
    url = f"/api/conversations/{conversation_id}/messages/{message_id}/edit"
    return client.post(url, json={"message": message, **body}, headers=headers)


def switch(client, headers, conversation_id, message_id):
    url = f"/api/conversations/{conversation_id}/branch"
    return client.post(url, json={"message_id": message_id}, headers=headers)


def shown(model) -> list[str]:
    """The texts of the messages the last answer call was shown."""
    last = [r for r in model.requests if r.purpose == "answer"][-1]
    return [part["text"] for m in last.messages for part in m["content"] if "text" in part]


@pytest.fixture
def chat(app, client, users):
    """A conversation of two turns: ids of its user messages and answers, in order."""
    install(app, *routed(say("First answer."), say("Second answer.")))
    one = stream_events(send(client, users.a, "First question"))[0]
    conversation_id = one["conversation_id"]
    two = stream_events(send(client, users.a, "Second question", conversation_id=conversation_id))
    return {
        "id": conversation_id,
        "questions": [one["user_message_id"], two[0]["user_message_id"]],
        "answers": [one["message_id"], two[0]["message_id"]],
    }


def test_regenerate_streams_a_new_answer_and_keeps_the_old_one(app, client, users, chat):
    model = install(app, *routed(say("A better answer.")))
    old = chat["answers"][1]
    response = regenerate(client, users.a, chat["id"], old)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    evts = stream_events(response)
    start, done = evts[0], evts[-1]
    assert start["type"] == "start" and done["type"] == "complete"
    assert start["user_message_id"] == chat["questions"][1]
    assert start["message_id"] not in chat["answers"]
    assert answer_of(evts) == "A better answer."
    body = conversation(client, users.a, chat["id"])
    branch = body["messages"]
    kept = [chat["questions"][0], chat["answers"][0], chat["questions"][1]]
    assert [m["id"] for m in branch] == [*kept, start["message_id"]]
    assert branch[-1]["parent_id"] == chat["questions"][1]
    assert branch[-1]["sibling_ids"] == [old, start["message_id"]]
    assert branch[-1]["content"] == "A better answer." and branch[-1]["status"] == "complete"
    assert body["active_leaf_id"] == start["message_id"] and body["message_total"] == 4
    # The model was shown the branch up to the question, not the replaced answer.
    assert shown(model)[-1] == "Second question"
    assert "Second answer." not in shown(model)


def test_switching_back_shows_the_old_answer(app, client, users, chat):
    install(app, *routed(say("A better answer.")))
    old = chat["answers"][1]
    new = stream_events(regenerate(client, users.a, chat["id"], old))[0]["message_id"]
    switched = switch(client, users.a, chat["id"], old)
    assert switched.status_code == 200
    assert switched.json["active_leaf_id"] == old
    assert [m["id"] for m in switched.json["messages"]][-1] == old
    assert switched.json["messages"][-1]["content"] == "Second answer."
    assert switched.json["messages"][-1]["sibling_ids"] == [old, new]
    assert switched.json == conversation(client, users.a, chat["id"])
    # Through a message, the branch goes down to its newest answer.
    through = switch(client, users.a, chat["id"], chat["questions"][1]).json
    assert through["active_leaf_id"] == new
    # The old answer is not the last one of the branch any more.
    assert_error(regenerate(client, users.a, chat["id"], old), 409, "NOT_THE_LAST_ANSWER")


def test_an_edit_starts_a_branch_the_model_sees_alone(app, client, users, chat):
    model = install(app, *routed(say("Edited answer."), say("Third answer.")))
    original = chat["questions"][1]
    evts = stream_events(edit(client, users.a, chat["id"], original, "Edited question"))
    start = evts[0]
    assert evts[-1]["type"] == "complete" and answer_of(evts) == "Edited answer."
    assert shown(model) == ["First question", "First answer.", "Edited question"]
    branch = conversation(client, users.a, chat["id"])["messages"]
    assert [m["content"] for m in branch] == [
        "First question",
        "First answer.",
        "Edited question",
        "Edited answer.",
    ]
    assert branch[2]["id"] == start["user_message_id"]
    assert branch[2]["parent_id"] == chat["answers"][0]
    assert branch[2]["sibling_ids"] == [original, start["user_message_id"]]
    assert branch[3]["sibling_ids"] == [start["message_id"]]
    # Back on the original branch, a new message follows it, and the edit is not shown.
    assert switch(client, users.a, chat["id"], original).status_code == 200
    third = stream_events(send(client, users.a, "Third question", conversation_id=chat["id"]))
    assert shown(model) == [
        "First question",
        "First answer.",
        "Second question",
        "Second answer.",
        "Third question",
    ]
    branch = conversation(client, users.a, chat["id"])["messages"]
    assert branch[4]["id"] == third[0]["user_message_id"]
    assert branch[4]["parent_id"] == chat["answers"][1]


def test_editing_the_first_message_starts_the_conversation_anew(app, client, users, chat):
    model = install(app, *routed(say("Fresh start.")))
    first = chat["questions"][0]
    start = stream_events(edit(client, users.a, chat["id"], first, "Another opening"))[0]
    assert shown(model) == ["Another opening"]
    body = conversation(client, users.a, chat["id"])
    assert [m["content"] for m in body["messages"]] == ["Another opening", "Fresh start."]
    assert body["messages"][0]["parent_id"] is None
    assert body["messages"][0]["sibling_ids"] == [first, start["user_message_id"]]
    assert body["message_total"] == 2 and body["message_count"] == 6  # every version counts


def test_the_same_edit_sent_twice_is_answered_once(app, client, users, chat):
    model = install(app, *routed(say("Only once.")))
    client_message_id = str(uuid.uuid4())
    question = chat["questions"][1]
    body = {"client_message_id": client_message_id}
    first = stream_events(edit(client, users.a, chat["id"], question, "Again?", **body))
    retry = stream_events(edit(client, users.a, chat["id"], question, "Again?", **body))
    assert retry == first
    assert len([r for r in model.requests if r.purpose == "answer"]) == 2  # route, answer
    branch = conversation(client, users.a, chat["id"])["messages"]
    assert branch[2]["sibling_ids"] == [question, first[0]["user_message_id"]]


def test_a_running_generation_keeps_the_branch_and_can_be_stopped(app, client, users, chat):
    release = threading.Event()
    install(app, *routed([*say("Partial")[:1], Wait(release, 5), *say(" rest")]))
    running = regenerate(client, users.a, chat["id"], chat["answers"][1], buffered=False)
    reader = iter(running.response)
    start = events(parse_sse(read_until(reader, "Partial")))[0]
    for busy in (
        regenerate(client, users.a, chat["id"], start["message_id"]),
        edit(client, users.a, chat["id"], chat["questions"][1]),
        switch(client, users.a, chat["id"], chat["answers"][1]),
        send(client, users.a, "Meanwhile", conversation_id=chat["id"]),
    ):
        assert_error(busy, 409, "CONVERSATION_BUSY")
    assert conversation(client, users.a, chat["id"])["active_leaf_id"] == start["message_id"]
    threading.Timer(0.1, release.set).start()
    stopped = client.post(f"/api/chat/generations/{start['generation_id']}/stop", headers=users.a)
    assert stopped.status_code == 200
    assert (stopped.json["status"], stopped.json["content"]) == ("interrupted", "Partial")
    assert stopped.json["sibling_ids"] == [chat["answers"][1], start["message_id"]]
    last = events(parse_sse("".join(chunk.decode() for chunk in reader)))[-1]
    assert (last["type"], last["finish_reason"]) == ("complete", "stopped")


def test_the_wrong_message_is_refused(app, client, users, chat):
    model = install(app, *routed(say("Never.")))
    cid, questions, answers = chat["id"], chat["questions"], chat["answers"]
    other = stream_events(send(client, users.a, "Elsewhere"))[0]
    missing = str(uuid.uuid4())
    for response, status, code in (
        (regenerate(client, users.a, cid, questions[1]), 409, "WRONG_MESSAGE_ROLE"),
        (regenerate(client, users.a, cid, answers[0]), 409, "NOT_THE_LAST_ANSWER"),
        (regenerate(client, users.a, cid, missing), 404, "MESSAGE_NOT_FOUND"),
        (regenerate(client, users.a, cid, other["message_id"]), 404, "MESSAGE_NOT_FOUND"),
        (regenerate(client, users.a, missing, answers[1]), 404, "CONVERSATION_NOT_FOUND"),
        (edit(client, users.a, cid, answers[0]), 409, "WRONG_MESSAGE_ROLE"),
        (edit(client, users.a, cid, missing), 404, "MESSAGE_NOT_FOUND"),
        (edit(client, users.a, cid, other["user_message_id"]), 404, "MESSAGE_NOT_FOUND"),
        (edit(client, users.a, missing, questions[0]), 404, "CONVERSATION_NOT_FOUND"),
        (switch(client, users.a, cid, missing), 404, "MESSAGE_NOT_FOUND"),
        (switch(client, users.a, cid, other["message_id"]), 404, "MESSAGE_NOT_FOUND"),
        (switch(client, users.a, missing, answers[0]), 404, "CONVERSATION_NOT_FOUND"),
    ):
        assert_error(response, status, code)
    assert len(model.requests) == 2  # only the send into the other conversation
    body = conversation(client, users.a, cid)
    unchanged = [questions[0], answers[0], questions[1], answers[1]]
    assert [m["id"] for m in body["messages"]] == unchanged
    assert body["message_count"] == 4


def test_another_users_conversation_and_messages_are_not_found(app, client, users, chat):
    model = install(app, *routed(say("Never.")))
    cid, question, answer = chat["id"], chat["questions"][1], chat["answers"][1]
    bobs = stream_events(send(client, users.b, "Bob's own"))[0]["conversation_id"]
    for conversation_id, code in ((cid, "CONVERSATION_NOT_FOUND"), (bobs, "MESSAGE_NOT_FOUND")):
        assert_error(regenerate(client, users.b, conversation_id, answer), 404, code)
        assert_error(edit(client, users.b, conversation_id, question), 404, code)
        assert_error(switch(client, users.b, conversation_id, chat["answers"][0]), 404, code)
    assert len(model.requests) == 2  # Bob's own send only
    assert conversation(client, users.a, cid)["active_leaf_id"] == answer
    assert conversation(client, users.b, bobs)["message_total"] == 2
    assert user_store(app, users, USER_B).get_message(answer) is None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "VALIDATION_ERROR"),
        ({"message": ""}, 422, "VALIDATION_ERROR"),
        ({"message": "   "}, 422, "VALIDATION_ERROR"),
        ({"message": 42}, 422, "VALIDATION_ERROR"),
        ({"message": "x" * 10001}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "client_message_id": "nope"}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "conversation_id": str(uuid.uuid4())}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "user_id": USER_B}, 403, "FORBIDDEN"),
    ],
)
def test_bad_edit_input(app, client, users, chat, body, status, code):
    model = install(app, *routed(say("x")))
    url = f"/api/conversations/{chat['id']}/messages/{chat['questions'][1]}/edit"
    assert_error(client.post(url, json=body, headers=users.a), status, code)
    assert model.requests == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "VALIDATION_ERROR"),
        ({"message_id": "nope"}, 422, "VALIDATION_ERROR"),
        ({"message_id": 7}, 422, "VALIDATION_ERROR"),
        ({"message_id": str(uuid.uuid4()), "leaf": True}, 422, "VALIDATION_ERROR"),
    ],
)
def test_bad_switch_input(client, users, chat, body, status, code):
    url = f"/api/conversations/{chat['id']}/branch"
    assert_error(client.post(url, json=body, headers=users.a), status, code)


def test_malformed_json_no_token_and_malformed_ids(client, users, chat):
    base = f"/api/conversations/{chat['id']}"
    for url in (f"{base}/messages/{chat['questions'][1]}/edit", f"{base}/branch"):
        malformed = client.post(url, data="{", content_type="application/json", headers=users.a)
        assert_error(malformed, 400, "BAD_REQUEST")
        assert_error(client.post(url, json={}), 401, "AUTH_REQUIRED")
    assert_error(regenerate(client, {}, chat["id"], chat["answers"][1]), 401, "AUTH_REQUIRED")
    assert_error(regenerate(client, users.a, chat["id"], "not-an-id"), 404, "NOT_FOUND")
    assert_error(edit(client, users.a, "not-an-id", chat["questions"][0]), 404, "NOT_FOUND")


def test_the_store_keeps_a_parent_in_its_conversation(app, users, chat):
    """The database's own check (migrations 0008), below the engine's."""
    alice, bob = user_store(app, users), user_store(app, users, USER_B)
    for store in (alice, bob):
        elsewhere = store.create_conversation("Elsewhere")["id"]
        with pytest.raises(AppError) as refused:
            store.add_messages(elsewhere, [NewMessage("user", "Hi")], chat["answers"][0])
        assert refused.value.code == "MESSAGE_NOT_FOUND"
        assert store.list_messages(elsewhere, 10, 0) == ([], 0)
    assert alice.switch_branch(chat["id"], str(uuid.uuid4())) is None
    assert bob.switch_branch(chat["id"], chat["answers"][0]) is None


def test_the_endpoints_are_documented_and_answer_as_documented(client, users, chat):
    document = client.get("/openapi.json").json
    base = "/api/conversations/{conversation_id}"
    for path in ("/messages/{message_id}/regenerate", "/messages/{message_id}/edit"):
        answer = document["paths"][base + path]["post"]["responses"]["200"]
        assert list(answer["content"]) == ["text/event-stream"]
    schemas = document["components"]["schemas"]
    assert "ConversationDetail" in str(document["paths"][f"{base}/branch"]["post"])
    switched = switch(client, users.a, chat["id"], chat["answers"][0]).json
    assert set(switched) == set(schemas["ConversationDetail"]["properties"])
    assert set(switched) >= set(schemas["ConversationDetail"]["required"])
    for message in switched["messages"]:
        assert set(message) == set(schemas["Message"]["required"])
