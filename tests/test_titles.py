"""Titles written by the model after a conversation's first message: sent as a `title` event
while the stream is open, stored either way, never over the user's own title, never at the
cost of the answer — through the real app on both stores, with scripted models at the
provider edge (one for the answer, one for the title call)."""

from __future__ import annotations

import json
import threading

import pytest

from canvalo_app.agents.titles import TITLE_CHARS, clean_title
from canvalo_app.errors import AppError
from canvalo_app.llm.base import TextDelta
from tests.conftest import BOTH_ENGINES, BOTH_STORES, events, parse_sse
from tests.helpers import answer_of, conversation, read_until, routed, send, stream_events, wait_for
from tests.scripted_model import Wait, say
from tests.title_helpers import QUESTION, install, titled


@pytest.fixture
def app(make_app):
    return make_app(MODEL_TITLES=True)


def live(client, headers, message=QUESTION, **body):
    response = client.post(
        "/api/chat/stream", json={"message": message, **body}, headers=headers, buffered=False
    )
    return iter(response.response)


def rest_of(reader, text: str = "") -> list[dict]:
    return events(parse_sse(text + "".join(chunk.decode() for chunk in reader)))


def titles_done() -> bool:
    """Every title call has run its course (each runs in a thread named for it)."""
    return wait_for(lambda: not any(t.name.endswith("-title") for t in threading.enumerate()))


@BOTH_STORES
@BOTH_ENGINES
def test_the_first_answer_carries_the_model_title_before_it_ends(app, client, users):
    go_on = threading.Event()
    model = install(
        app,
        routed([Wait(go_on), *say("INV-1002 and INV-1005 are overdue.")]),
        [say("Overdue invoices this month")],
    )
    reader = live(client, users.a)
    seen = read_until(reader, "event: title")
    go_on.set()  # the answer goes on only once the title is out
    evts = rest_of(reader, seen)
    types = [e["type"] for e in evts]
    start, title = evts[0], next(e for e in evts if e["type"] == "title")
    assert types.index("title") < types.index("complete") == len(types) - 1
    assert {k: v for k, v in title.items() if k != "_id"} == {
        "type": "title",
        "conversation_id": start["conversation_id"],
        "title": "Overdue invoices this month",
    }
    assert answer_of(evts) == "INV-1002 and INV-1005 are overdue."
    stored = conversation(client, users.a, start["conversation_id"])
    assert (stored["title"], stored["title_source"]) == ("Overdue invoices this month", "model")
    [listed] = client.get("/api/conversations", headers=users.a).json["conversations"]
    assert (listed["title"], listed["title_source"]) == ("Overdue invoices this month", "model")
    [asked] = model.titles.requests  # the user's first message, and nothing else
    assert asked.messages == [{"role": "user", "content": [{"text": QUESTION}]}]
    assert (asked.tools, asked.purpose) == ([], "title")
    assert asked.max_tokens <= 64


@BOTH_STORES
def test_a_title_after_the_answer_is_stored_without_an_event(app, client, users):
    late = threading.Event()
    install(app, routed(say("Done.")), [[Wait(late), *say('"Late title."')]])
    evts = stream_events(send(client, users.a, QUESTION))
    assert "title" not in [e["type"] for e in evts] and evts[-1]["type"] == "complete"
    conversation_id = evts[0]["conversation_id"]
    assert conversation(client, users.a, conversation_id)["title_source"] == "auto"
    late.set()
    assert titled(client, users.a, conversation_id, "Late title")
    assert conversation(client, users.a, conversation_id)["title_source"] == "model"


@BOTH_STORES
def test_a_rename_before_the_title_arrives_wins(app, client, users):
    renamed = threading.Event()
    model = install(app, routed(say("Done.")), [[Wait(renamed), *say("Model title")]])
    reader = live(client, users.a)
    seen = read_until(reader, "event: start")
    conversation_id = events(parse_sse(seen))[0]["conversation_id"]
    assert wait_for(lambda: len(model.titles.requests) == 1)  # the model is writing it
    path = f"/api/conversations/{conversation_id}"
    response = client.patch(path, json={"title": "Henderson invoices"}, headers=users.a)
    assert response.json["title_source"] == "user"
    renamed.set()
    evts = rest_of(reader, seen)
    assert titles_done() and "title" not in [e["type"] for e in evts]
    stored = conversation(client, users.a, conversation_id)
    assert (stored["title"], stored["title_source"]) == ("Henderson invoices", "user")


@BOTH_STORES
def test_a_rename_after_the_model_title_wins_too(app, client, users):
    install(app, routed(say("Done.")), [say("Model title")])
    conversation_id = stream_events(send(client, users.a, QUESTION))[0]["conversation_id"]
    assert titled(client, users.a, conversation_id, "Model title")
    path = f"/api/conversations/{conversation_id}"
    renamed = client.patch(path, json={"title": "Mine"}, headers=users.a).json
    assert (renamed["title"], renamed["title_source"]) == ("Mine", "user")


@BOTH_STORES
@pytest.mark.parametrize(
    "failure",
    [
        [AppError("MODEL_UNAVAILABLE")],
        [RuntimeError("the title call crashed")],
        say('  **""**  '),  # nothing left once cleaned
        say(""),
    ],
)
def test_a_failed_title_call_leaves_the_answer_and_the_first_message_title(
    app, client, users, failure
):
    model = install(app, routed(say("Two are overdue."), say("Second answer.")), [failure])
    evts = stream_events(send(client, users.a, QUESTION))
    assert [e["type"] for e in evts][-1] == "complete"
    assert answer_of(evts) == "Two are overdue."
    assert "title" not in [e["type"] for e in evts]
    conversation_id = evts[0]["conversation_id"]
    assert titles_done() and len(model.titles.requests) == 1
    stored = conversation(client, users.a, conversation_id)
    assert (stored["title"], stored["title_source"]) == (QUESTION, "auto")
    assert stored["messages"][-1]["content"] == "Two are overdue."
    # The title stays `auto`, but a second turn is no first turn: no title call.
    second = stream_events(
        send(client, users.a, "And last month?", conversation_id=conversation_id)
    )
    assert answer_of(second) == "Second answer."
    assert titles_done() and len(model.titles.requests) == 1
    assert conversation(client, users.a, conversation_id)["title"] == QUESTION


@BOTH_STORES
def test_a_second_turn_does_not_retitle(app, client, users):
    model = install(
        app,
        routed(say("First."), say("Second.")),
        [say("Overdue invoices"), say("Another title")],
    )
    conversation_id = stream_events(send(client, users.a, QUESTION))[0]["conversation_id"]
    assert titled(client, users.a, conversation_id, "Overdue invoices")
    second = stream_events(send(client, users.a, "Email them", conversation_id=conversation_id))
    assert "title" not in [e["type"] for e in second]
    assert titles_done() and len(model.titles.requests) == 1
    assert conversation(client, users.a, conversation_id)["title"] == "Overdue invoices"


@BOTH_STORES
def test_created_titles_are_the_users_and_the_default_is_the_models(app, client, users):
    model = install(app, routed(say("One."), say("Two.")), [say("Kitchen repaint quote")])
    given = client.post("/api/conversations", json={"title": "Smith job"}, headers=users.a).json
    default = client.post("/api/conversations", json={}, headers=users.a).json
    assert (given["title"], given["title_source"]) == ("Smith job", "user")
    assert (default["title"], default["title_source"]) == ("New conversation", "auto")
    stream_events(send(client, users.a, "Quote the kitchen", conversation_id=given["id"]))
    stream_events(send(client, users.a, "Quote the kitchen", conversation_id=default["id"]))
    assert titled(client, users.a, default["id"], "Kitchen repaint quote")
    assert titles_done() and len(model.titles.requests) == 1
    assert conversation(client, users.a, given["id"])["title"] == "Smith job"


@BOTH_STORES
def test_another_users_conversation_is_never_titled(app, client, users):
    install(app, routed(say("Done.")), [say("A's title")])
    conversation_id = stream_events(send(client, users.a, QUESTION))[0]["conversation_id"]
    assert titled(client, users.a, conversation_id, "A's title")
    path = f"/api/conversations/{conversation_id}"
    assert client.get(path, headers=users.b).status_code == 404
    assert client.get("/api/conversations", headers=users.b).json["conversations"] == []


@BOTH_STORES
def test_the_ai_sdk_stream_carries_the_title_as_a_transient_data_part(app, client, users):
    go_on = threading.Event()
    install(app, routed([TextDelta("Two are"), Wait(go_on), *say(" overdue.")]), [say("Overdue")])
    response = client.post(
        "/api/chat/ui",
        json={
            "id": "chat-titled",
            "messages": [
                {"id": "m1", "role": "user", "parts": [{"type": "text", "text": QUESTION}]}
            ],
            "trigger": "submit-message",
        },
        headers=users.a,
        buffered=False,
    )
    reader = iter(response.response)
    seen = read_until(reader, '"data-title"')
    go_on.set()
    seen += "".join(chunk.decode() for chunk in reader)
    parsed = [json.loads(line[6:]) for line in seen.split("\n") if line.startswith("data: {")]
    [title] = [c for c in parsed if c["type"] == "data-title"]
    conversation_id = parsed[0]["messageMetadata"]["conversation_id"]
    assert title == {
        "type": "data-title",
        "data": {"conversation_id": conversation_id, "title": "Overdue"},
        "transient": True,
    }
    # The title sits beside the message: the answer's text stays one block.
    assert [c["type"] for c in parsed].count("text-start") == 1


@BOTH_STORES
def test_the_offline_model_titles_from_the_key_words(make_app, users):
    app = make_app(MODEL_TITLES=True, MODEL_PROVIDER="offline")
    client = app.test_client()
    conversation_id = stream_events(send(client, users.a, "Which invoices are overdue?"))[0][
        "conversation_id"
    ]
    assert titled(client, users.a, conversation_id, "Invoices overdue")


@BOTH_STORES
def test_titles_are_off_unless_turned_on(make_app, users):
    app = make_app(MODEL_TITLES=False)
    model = install(app, routed(say("Done.")), [say("Model title")])
    client = app.test_client()
    conversation_id = stream_events(send(client, users.a, QUESTION))[0]["conversation_id"]
    assert titles_done() and model.titles.requests == []
    assert conversation(client, users.a, conversation_id)["title_source"] == "auto"


@pytest.mark.parametrize(
    "answer, title",
    [
        ("Overdue invoices", "Overdue invoices"),
        ('"Overdue invoices."', "Overdue invoices"),
        ("**Title:** Overdue invoices\nHere is why I chose it.", "Overdue invoices"),
        ("\n\n  # Factures en retard  \n", "Factures en retard"),
        ("«Rendez-vous Henderson»", "Rendez-vous Henderson"),
        ("`Kitchen` _repaint_ [quote]", "Kitchen repaint quote"),
        ("", ""),
        ('  "" ... ', ""),
        ("word " * 30, ("word " * 12).strip()),
        ("x" * 100, "x" * TITLE_CHARS),
    ],
)
def test_clean_title(answer, title):
    assert clean_title(answer) == title
    assert len(clean_title(answer)) <= TITLE_CHARS
