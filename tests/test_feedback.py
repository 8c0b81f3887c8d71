"""Feedback on answers (PUT/DELETE /api/conversations/{id}/messages/{id}/feedback): kept with
the answer, changeable, answers only, the owner's only, counted in /metrics — through the
real app on both stores (PostgREST straight: tests/test_rls.py)."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import BOTH_STORES, USER_B, user_store
from tests.helpers import assert_error, conversation, routed, send, stream_events
from tests.scripted_model import install, say

pytestmark = BOTH_STORES
METRICS_TOKEN = "metrics-token-feedback-0123456789"


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=METRICS_TOKEN)


def answered(app, client, headers, text="Which invoices are overdue?") -> dict:
    """A turn's ids: conversation, the user's message and the answer."""
    install(app, *routed(say("Two are overdue.")))
    start = stream_events(send(client, headers, text))[0]
    return {
        "conversation": start["conversation_id"],
        "question": start["user_message_id"],
        "answer": start["message_id"],
    }


@pytest.fixture
def turn(app, client, users) -> dict:
    return answered(app, client, users.a)


def path(conversation_id, message_id) -> str:
    return f"/api/conversations/{conversation_id}/messages/{message_id}/feedback"


def rate(client, headers, turn, **body):
    return client.put(path(turn["conversation"], turn["answer"]), json=body, headers=headers)


def unrate(client, headers, turn):
    return client.delete(path(turn["conversation"], turn["answer"]), headers=headers)


def stored(client, headers, turn) -> dict:
    """The conversation's messages by id, as GET returns them."""
    messages = conversation(client, headers, turn["conversation"])["messages"]
    return {message["id"]: message for message in messages}


def test_feedback_is_kept_with_the_answer_changed_and_taken_back(client, users, turn):
    given = rate(client, users.a, turn, rating="up", comment="  Exactly what I needed.  ")
    assert given.status_code == 200, given.json
    assert set(given.json) == {"rating", "comment", "updated_at"}
    assert (given.json["rating"], given.json["comment"]) == ("up", "Exactly what I needed.")
    messages = stored(client, users.a, turn)
    assert messages[turn["answer"]]["feedback"] == given.json
    assert messages[turn["question"]]["feedback"] is None

    changed = rate(client, users.a, turn, rating="down")
    assert changed.status_code == 200
    assert (changed.json["rating"], changed.json["comment"]) == ("down", None)
    assert changed.json["updated_at"] > given.json["updated_at"]
    assert stored(client, users.a, turn)[turn["answer"]]["feedback"] == changed.json

    cleared = unrate(client, users.a, turn)
    assert cleared.status_code == 200
    assert cleared.json == {
        "status": "deleted",
        "conversation_id": turn["conversation"],
        "message_id": turn["answer"],
    }
    assert stored(client, users.a, turn)[turn["answer"]]["feedback"] is None
    assert unrate(client, users.a, turn).status_code == 200  # none to take back: still fine
    assert rate(client, users.a, turn, rating="up", comment="   ").json["comment"] is None


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({}, 422, "VALIDATION_ERROR", "rating"),
        ({"rating": "meh"}, 422, "VALIDATION_ERROR", "rating"),
        ({"rating": 1}, 422, "VALIDATION_ERROR", "rating"),
        ({"rating": None}, 422, "VALIDATION_ERROR", "rating"),
        ({"rating": "up", "comment": 5}, 422, "VALIDATION_ERROR", "comment"),
        ({"rating": "up", "comment": "x" * 2001}, 422, "VALIDATION_ERROR", "comment"),
        ({"rating": "up", "comment": "a\u0000b"}, 422, "VALIDATION_ERROR", "comment"),
        ({"rating": "up", "stars": 5}, 422, "VALIDATION_ERROR", "stars"),
        (["up"], 422, "VALIDATION_ERROR", "_schema"),
        ({"rating": "up", "user_id": USER_B}, 403, "FORBIDDEN", None),
    ],
)
def test_bad_bodies_are_refused_and_change_nothing(client, users, turn, body, status, code, field):
    error = assert_error(rate_raw(client, users.a, turn, json=body), status, code)
    if field:
        assert field in error["details"]["fields"]
    assert stored(client, users.a, turn)[turn["answer"]]["feedback"] is None


def rate_raw(client, headers, turn, **kwargs):
    return client.put(path(turn["conversation"], turn["answer"]), headers=headers, **kwargs)


def test_malformed_json_is_a_400(client, users, turn):
    response = rate_raw(client, users.a, turn, data="{nope", content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")


def test_a_comment_of_the_longest_length_is_kept(client, users, turn):
    comment = "é" * 2000
    assert rate(client, users.a, turn, rating="down", comment=comment).json["comment"] == comment


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_user_message_takes_no_feedback(client, users, turn, method):
    response = getattr(client, method)(
        path(turn["conversation"], turn["question"]), json={"rating": "up"}, headers=users.a
    )
    assert_error(response, 409, "WRONG_MESSAGE_ROLE")
    assert stored(client, users.a, turn)[turn["question"]]["feedback"] is None


@pytest.mark.parametrize("method", ["put", "delete"])
def test_an_unknown_message_or_one_of_another_conversation_is_404(app, client, users, turn, method):
    other = answered(app, client, users.a, "And my appointments?")
    for conversation_id, message_id in (
        (turn["conversation"], str(uuid.uuid4())),
        (turn["conversation"], other["answer"]),  # the user's, but not in this conversation
    ):
        response = getattr(client, method)(
            path(conversation_id, message_id), json={"rating": "up"}, headers=users.a
        )
        assert_error(response, 404, "MESSAGE_NOT_FOUND")
    unknown = path(str(uuid.uuid4()), turn["answer"])
    assert_error(getattr(client, method)(unknown, json={"rating": "up"}, headers=users.a), 404,
                 "CONVERSATION_NOT_FOUND")  # fmt: skip
    malformed = path(turn["conversation"], "not-a-uuid")
    assert (
        getattr(client, method)(malformed, json={"rating": "up"}, headers=users.a).status_code
        == 404
    )
    assert stored(client, users.a, other)[other["answer"]]["feedback"] is None


@pytest.mark.parametrize("method", ["put", "delete"])
def test_another_users_answer_is_404_and_untouched(app, client, users, turn, method):
    rate(client, users.a, turn, rating="up", comment="Mine")
    theirs = answered(app, client, users.b, "My own question")
    for conversation_id, code in (
        (turn["conversation"], "CONVERSATION_NOT_FOUND"),  # A's conversation
        (theirs["conversation"], "MESSAGE_NOT_FOUND"),  # B's conversation, A's answer
    ):
        response = getattr(client, method)(
            path(conversation_id, turn["answer"]), json={"rating": "down"}, headers=users.b
        )
        assert_error(response, 404, code)
    feedback = stored(client, users.a, turn)[turn["answer"]]["feedback"]
    assert (feedback["rating"], feedback["comment"]) == ("up", "Mine")


def scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_feedback_is_counted_by_rating_and_the_rating_it_replaced(client, users, turn):
    def counted(before, after, rating, previous) -> float:
        key = (
            "canvalo_feedback_total",
            frozenset({"rating": rating, "previous": previous}.items()),
        )
        return after.get(key, 0.0) - before.get(key, 0.0)

    before = scrape(client)
    rate(client, users.a, turn, rating="up")
    rate(client, users.a, turn, rating="down", comment="Wrong invoice")
    rate(client, users.a, turn, rating="down", comment="Still wrong")
    unrate(client, users.a, turn)
    unrate(client, users.a, turn)  # nothing to take back: not counted
    rate_raw(client, users.a, turn, json={"rating": "meh"})  # refused: not counted
    after = scrape(client)
    assert counted(before, after, "up", "none") == 1
    assert counted(before, after, "down", "up") == 1
    assert counted(before, after, "down", "down") == 1
    assert counted(before, after, "none", "down") == 1
    assert counted(before, after, "none", "none") == 0


def test_the_store_refuses_feedback_on_a_user_message(app, users, turn):
    store = user_store(app, users)
    assert store.set_feedback(turn["question"], "up", None) is None
    assert store.clear_feedback(turn["question"]) is None
    assert store.set_feedback(turn["answer"], "up", "ok")["feedback"]["rating"] == "up"
    other = user_store(app, users, USER_B)
    assert other.set_feedback(turn["answer"], "down", None) is None
    assert store.get_message(turn["answer"])["feedback"]["rating"] == "up"
