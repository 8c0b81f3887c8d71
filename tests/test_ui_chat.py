"""The AI SDK chat endpoint (`POST /api/chat/ui`, UI message stream v1) through the real app
and store, with a scripted model at the provider edge. The `ai` package itself reads it in
tests/test_clients_js.py."""

from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import BOTH_ENGINES, BOTH_STORES
from tests.helpers import assert_error, conversation, routed, send, stream_events, wait_for
from tests.scripted_model import Wait, call, install, route, say

pytestmark = [BOTH_STORES]
UI = "/api/chat/ui"


def ui_message(text: str, message_id: str = "msg-1", role: str = "user") -> dict:
    return {"id": message_id, "role": role, "parts": [{"type": "text", "text": text}]}


def ui_send(client, headers, chat_id="chat-1", text="How is business?", **options):
    payload = {"id": chat_id, "messages": [ui_message(text)], "trigger": "submit-message"}
    return client.post(UI, json=payload, headers=headers, **options)


def chunks_of(response) -> list:
    """The `data:` payloads of a UI message stream, `[DONE]` as the string."""
    found = []
    for line in response.get_data(as_text=True).split("\n"):
        if line.startswith("data: "):
            payload = line[len("data: ") :]
            found.append(payload if payload == "[DONE]" else json.loads(payload))
    return found


def text_of(chunks: list) -> str:
    return "".join(c["delta"] for c in chunks if isinstance(c, dict) and c["type"] == "text-delta")


def test_a_plain_answer_is_a_ui_message_stream(app, client, users):
    install(app, *routed(say("Two invoices are overdue.")))
    response = ui_send(client, users.a)
    assert response.status_code == 200
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.headers["Content-Type"].startswith("text/event-stream")
    chunks = chunks_of(response)
    kinds = [c if c == "[DONE]" else c["type"] for c in chunks]
    assert kinds[0] == "start" and kinds[-2:] == ["finish", "[DONE]"]
    assert kinds[1] == "data-agent" and chunks[1]["data"]["agent_type"] == "tasks"
    assert kinds[2] == "text-start" and kinds[-3] == "text-end"
    assert {c["id"] for c in chunks if c != "[DONE]" and c["type"].startswith("text-")} == {
        chunks[2]["id"]
    }
    assert chunks[-2]["finishReason"] == "stop"
    assert chunks[-2]["messageMetadata"]["usage"]["output_tokens"] > 0
    start = chunks[0]
    stored = conversation(client, users.a, start["messageMetadata"]["conversation_id"])
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    assert stored["messages"][0]["content"] == "How is business?"
    assert stored["messages"][1]["id"] == start["messageId"]
    assert stored["messages"][1]["content"] == text_of(chunks) == "Two invoices are overdue."


def test_one_chat_id_is_one_conversation_and_only_the_last_message_is_read(app, client, users):
    install(app, *routed(say("First."), say("Second.")))
    first = chunks_of(ui_send(client, users.a, "chat-7", "hello"))
    history = [ui_message("hello"), {"id": "a1", "role": "assistant", "parts": []}]
    later = {"id": "chat-7", "messages": [*history, ui_message("and now?", "msg-2")]}
    second = chunks_of(client.post(UI, json=later, headers=users.a))
    conversation_id = first[0]["messageMetadata"]["conversation_id"]
    assert second[0]["messageMetadata"]["conversation_id"] == conversation_id
    stored = conversation(client, users.a, conversation_id)
    assert [m["content"] for m in stored["messages"]] == ["hello", "First.", "and now?", "Second."]
    # Another user's chat of the same name is another conversation.
    install(app, *routed(say("Theirs.")))
    theirs = chunks_of(ui_send(client, users.b, "chat-7", "hello"))
    assert theirs[0]["messageMetadata"]["conversation_id"] != conversation_id


def test_a_conversation_id_as_chat_id_continues_that_conversation(app, client, users):
    install(app, *routed(say("One."), say("Two.")))
    started = stream_events(send(client, users.a, "first"))[0]
    chunks = chunks_of(ui_send(client, users.a, started["conversation_id"], "second"))
    assert chunks[0]["messageMetadata"]["conversation_id"] == started["conversation_id"]
    assert len(conversation(client, users.a, started["conversation_id"])["messages"]) == 4


def test_another_users_conversation_id_names_a_chat_of_ones_own(app, client, users):
    """A client never picks a new conversation's id: another user's conversation id, like
    any id the caller has no conversation of, names a new conversation of the caller's."""
    install(app, *routed(say("Mine."), say("Theirs.")))
    mine = stream_events(send(client, users.a, "first"))[0]["conversation_id"]
    theirs = chunks_of(ui_send(client, users.b, mine, "let me in"))
    conversation_id = theirs[0]["messageMetadata"]["conversation_id"]
    assert conversation_id != mine
    assert len(conversation(client, users.a, mine)["messages"]) == 2
    assert client.get(f"/api/conversations/{conversation_id}", headers=users.a).status_code == 404
    assert [m["content"] for m in conversation(client, users.b, conversation_id)["messages"]] == [
        "let me in",
        "Theirs.",
    ]


def test_tool_calls_and_confirmations_are_parts(app, client, users, stores):
    a, _ = stores
    invoice = next(
        r for r in a.list_records("invoices", limit=100) if r["invoice_number"] == "INV-1005"
    )
    install(
        app,
        route("invoices"),
        call("delete_invoice", id=invoice["id"]),
        say("I need your confirmation."),
    )
    chunks = [c for c in chunks_of(ui_send(client, users.a, text="delete it")) if c != "[DONE]"]
    by_type = {c["type"]: c for c in chunks}
    tool_input, output = by_type["tool-input-available"], by_type["tool-output-available"]
    assert tool_input["toolName"] == "delete_invoice" and tool_input["dynamic"] is True
    assert tool_input["input"] == {"id": invoice["id"]}
    assert output["toolCallId"] == tool_input["toolCallId"] and output["output"]["summary"]
    confirmation = by_type["data-confirmation"]
    assert confirmation["data"]["tool_name"] == "delete_invoice"
    action = client.get(f"/api/actions/{confirmation['id']}", headers=users.a)
    assert action.status_code == 200 and action.json["status"] == "pending"
    assert by_type["text-delta"]["delta"]


def test_a_failed_turn_ends_with_an_error_chunk(app, client, users):
    install(app, route("tasks"), [RuntimeError("boom")])
    chunks = chunks_of(ui_send(client, users.a))
    assert chunks[-1] == "[DONE]"
    assert chunks[-3]["type"] == "data-error" and chunks[-3]["data"]["code"] == "INTERNAL_ERROR"
    assert chunks[-2]["type"] == "error" and chunks[-2]["errorText"]
    assert "finish" not in [c["type"] for c in chunks[:-1]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "c", "messages": [ui_message("   ")]}, "messages"),
        ({"id": "c", "messages": [ui_message("hi", role="assistant")]}, "messages"),
        ({"id": "c", "messages": []}, "messages"),
        ({"id": "c", "messages": [{"role": "user", "parts": "hi"}]}, "messages"),
        ({"id": "c", "messages": [{"role": "user", "parts": [{"type": "text"}]}]}, "messages"),
        ({"id": "c", "messages": ["hi"]}, "messages"),
        ({"messages": [ui_message("hi")]}, "id"),
        ({"id": "no spaces", "messages": [ui_message("hi")]}, "id"),
        ({"id": "c", "messages": [ui_message("hi")], "trigger": "resume-stream"}, "trigger"),
        ({"id": "c", "messages": [ui_message("hi")], "model": "x"}, "model"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(client, users, body, field):
    error = assert_error(client.post(UI, json=body, headers=users.a), 422, "VALIDATION_ERROR")
    assert field in error["details"]["fields"]
    assert client.get("/api/conversations", headers=users.a).json["total"] == 0


def test_the_same_ui_message_again_joins_its_answer(app, client, users):
    install(app, *routed(say("Only once.")))
    first = chunks_of(ui_send(client, users.a, "chat-r", "hi"))
    again = chunks_of(ui_send(client, users.a, "chat-r", "hi"))
    assert again[0]["messageId"] == first[0]["messageId"]
    assert text_of(again) == text_of(first) == "Only once."
    conversation_id = first[0]["messageMetadata"]["conversation_id"]
    assert len(conversation(client, users.a, conversation_id)["messages"]) == 2


def test_regenerate_writes_the_last_answer_again_on_a_new_branch(app, client, users):
    install(app, *routed(say("First try.")))
    first = chunks_of(ui_send(client, users.a, "chat-r", "How is business?"))
    answer_id = first[0]["messageId"]
    conversation_id = first[0]["messageMetadata"]["conversation_id"]
    install(app, *routed(say("Second try.")))
    again = {"id": "chat-r", "messages": [ui_message("How is business?")],
             "trigger": "regenerate-message", "messageId": answer_id}  # fmt: skip
    second = chunks_of(client.post(UI, json=again, headers=users.a))
    assert text_of(second) == "Second try." and second[-2]["type"] == "finish"
    assert second[0]["messageId"] != answer_id
    stored = conversation(client, users.a, conversation_id)
    assert [m["content"] for m in stored["messages"]] == ["How is business?", "Second try."]
    assert stored["messages"][1]["sibling_ids"] == [answer_id, second[0]["messageId"]]
    # Without messageId: the chat's last answer; an older one, or another user's chat, not.
    install(app, *routed(say("Third try.")))
    third = chunks_of(client.post(UI, json={**again, "messageId": None}, headers=users.a))
    assert text_of(third) == "Third try."
    older = client.post(UI, json=again, headers=users.a)
    assert_error(older, 409, "NOT_THE_LAST_ANSWER")
    for chat in ("chat-r", conversation_id):  # B's chat of that name, or A's conversation id
        theirs = {**again, "id": chat, "messageId": third[0]["messageId"]}
        assert_error(client.post(UI, json=theirs, headers=users.b), 404, "CONVERSATION_NOT_FOUND")
    bad = client.post(UI, json={**again, "messageId": "msg-1"}, headers=users.a)
    assert_error(bad, 404, "MESSAGE_NOT_FOUND")


def test_needs_a_token(client):
    assert_error(client.post(UI, json={"id": "c", "messages": []}), 401, "AUTH_REQUIRED")
    assert_error(client.get(f"{UI}/c/stream"), 401, "AUTH_REQUIRED")


@BOTH_ENGINES
def test_reconnect_replays_the_running_answer_then_204(app, client, users):
    release = threading.Event()
    install(app, route("tasks"), [*say("Half")[:-2], Wait(release), *say(" done.")])
    response = ui_send(client, users.a, "chat-live", "slow one", buffered=False)
    assert response.status_code == 200
    reader = response.response
    next(reader)  # the stream has started
    assert client.get(f"{UI}/chat-live/stream", headers=users.b).status_code == 204
    assert client.get(f"{UI}/no spaces/stream", headers=users.a).status_code == 422
    replay = client.get(f"{UI}/chat-live/stream", headers=users.a, buffered=False)
    assert replay.status_code == 200
    assert replay.headers["x-vercel-ai-ui-message-stream"] == "v1"
    release.set()
    chunks = chunks_of(replay)
    assert chunks[0]["type"] == "start" and chunks[-1] == "[DONE]"
    assert text_of(chunks) == "Half done."
    b"".join(reader)
    assert wait_for(
        lambda: client.get(f"{UI}/chat-live/stream", headers=users.a).status_code == 204
    )
    assert client.get(f"{UI}/never-used/stream", headers=users.a).status_code == 204


def test_is_in_the_openapi_document(client):
    document = client.get("/openapi.json").json
    operation = document["paths"]["/api/chat/ui"]["post"]
    schema = operation["responses"]["200"]["content"]["text/event-stream"]["schema"]
    assert schema == {"$ref": "#/components/schemas/UIMessageChunk"}
    union = document["components"]["schemas"]["UIMessageChunk"]
    assert set(union["discriminator"]["mapping"]) >= {"start", "text-delta", "finish", "error"}
    header = operation["responses"]["200"]["headers"]["x-vercel-ai-ui-message-stream"]
    assert header["schema"]["enum"] == ["v1"]
    reconnect = document["paths"]["/api/chat/ui/{chat_id}/stream"]["get"]
    assert "204" in reconnect["responses"]
