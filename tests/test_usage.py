"""Token usage by day and month, and the monthly quota, on both stores.

The totals are checked against the token counts the stored answers carry, summed here.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from tests.conftest import BOTH_STORES
from tests.helpers import assert_error, send, stream_events
from tests.scripted_model import install, say

pytestmark = BOTH_STORES


def chat(client, headers, message="How is business?", **body) -> str:
    """Send a message, read the whole answer; the conversation id."""
    response = send(client, headers, message, **body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return stream_events(response)[0]["conversation_id"]


def stored_tokens(client, headers) -> int:
    """Every token the caller's stored answers say they used, summed independently."""
    total = 0
    for listed in client.get("/api/conversations", headers=headers).json["conversations"]:
        detail = client.get(f"/api/conversations/{listed['id']}", headers=headers).json
        for message in detail["messages"]:
            usage = message["metadata"].get("usage")
            if message["role"] == "assistant" and usage:
                total += usage["input_tokens"] + usage["output_tokens"]
    return total


def backdate(app, request, conversation_id: str, when: str) -> None:
    """Move the tokens of a conversation's answers to another day, straight in the database."""
    sql = (
        "update {s}token_usage set created_at = '{w}' where id in (select id from "
        "{s}agent_messages where conversation_id = '{c}' and role = 'assistant')"
    )
    if app.config["STORE"] == "sqlite":
        with sqlite3.connect(app.config["SQLITE_PATH"]) as conn:
            conn.execute(sql.format(s="", w=when, c=conversation_id))
    else:
        request.getfixturevalue("pgstack").psql(sql.format(s="api.", w=when, c=conversation_id))


@pytest.fixture
def chat_app(make_app):
    def build(**overrides):
        app = make_app(**overrides)
        install(app, default=say("Two invoices are overdue."))
        return app

    return build


def test_no_use_yet(chat_app, users):
    body = chat_app().test_client().get("/api/usage", headers=users.a).json
    assert body["months"] == [] and body["days"] == []
    assert body["used_this_month"] == 0
    assert body["quota"] is None and body["remaining_this_month"] is None
    now = datetime.now(UTC)
    assert body["since"] == datetime(now.year, now.month, 1, tzinfo=UTC).isoformat()


def test_totals_by_day_and_month_match_the_stored_answers(chat_app, users, request):
    app = chat_app()
    client = app.test_client()
    first = chat(client, users.a)
    chat(client, users.a, "And the unpaid ones?", conversation_id=first)
    chat(client, users.a, "Anything due today?")
    expected = stored_tokens(client, users.a)
    assert expected > 0
    body = client.get("/api/usage", headers=users.a).json
    today = datetime.now(UTC).date().isoformat()
    assert [day["period"] for day in body["days"]] == [today]
    assert body["days"][0]["total_tokens"] == expected == body["used_this_month"]
    assert body["months"][0]["period"] == today[:7]
    month = body["months"][0]
    assert month["input_tokens"] + month["output_tokens"] == month["total_tokens"] == expected
    # Another user's answers are not counted, and they see none of these.
    assert client.get("/api/usage", headers=users.b).json["used_this_month"] == 0


def test_earlier_months_are_listed_but_not_counted_against_this_one(chat_app, users, request):
    app = chat_app()
    client = app.test_client()
    old = chat(client, users.a)
    old_tokens = stored_tokens(client, users.a)
    now = datetime.now(UTC)
    earlier = datetime(now.year - (now.month == 1), (now.month - 2) % 12 + 1, 15, tzinfo=UTC)
    backdate(app, request, old, earlier.isoformat(timespec="microseconds"))
    chat(client, users.a)
    this_month = stored_tokens(client, users.a) - old_tokens
    months = client.get("/api/usage", headers=users.a).json["months"]
    assert [(m["period"], m["total_tokens"]) for m in months] == [
        (now.strftime("%Y-%m"), this_month)
    ]
    body = client.get("/api/usage?months=2", headers=users.a).json
    assert [m["period"] for m in body["months"]] == [
        earlier.strftime("%Y-%m"),
        now.strftime("%Y-%m"),
    ]
    assert [m["total_tokens"] for m in body["months"]] == [old_tokens, this_month]
    assert body["days"][0]["period"] == earlier.date().isoformat()
    assert body["used_this_month"] == this_month


def test_a_send_past_the_monthly_quota_is_refused_until_the_month_ends(chat_app, users):
    client = chat_app(USER_MONTHLY_TOKEN_QUOTA=40, RATE_LIMIT_CHAT="5 per minute").test_client()
    sends = 0
    while stored_tokens(client, users.a) < 40:
        chat(client, users.a)
        sends += 1
    assert sends >= 2  # the quota let some sends through first
    used = stored_tokens(client, users.a)
    refused = send(client, users.a)
    error = assert_error(refused, 429, "QUOTA_EXCEEDED")
    now = datetime.now(UTC)
    resets = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    assert error["details"] == {"quota": 40, "used": used, "resets_at": resets.isoformat()}
    assert abs(int(refused.headers["Retry-After"]) - (resets - now).total_seconds()) < 5
    body = client.get("/api/usage", headers=users.a).json
    assert body["quota"] == 40 and body["remaining_this_month"] == 0
    # Refusals use none of the rate allowance; another user still has a quota.
    left = str(5 - sends)
    assert refused.headers["RateLimit-Remaining"] == left
    assert send(client, users.a).headers["RateLimit-Remaining"] == left
    assert send(client, users.b).headers["RateLimit-Remaining"] == "4"


def test_deleting_conversations_does_not_give_tokens_back(chat_app, users):
    client = chat_app(USER_MONTHLY_TOKEN_QUOTA=30).test_client()
    ids = [chat(client, users.a), chat(client, users.a)]
    used = stored_tokens(client, users.a)
    assert used >= 30
    for conversation_id in ids:
        deleted = client.delete(f"/api/conversations/{conversation_id}", headers=users.a)
        assert deleted.status_code == 200
    assert stored_tokens(client, users.a) == 0
    assert client.get("/api/usage", headers=users.a).json["used_this_month"] == used
    assert_error(send(client, users.a), 429, "QUOTA_EXCEEDED")


@pytest.mark.parametrize("months", ["0", "13", "two", "-1"])
def test_bad_queries_are_refused(chat_app, users, months):
    client = chat_app().test_client()
    assert_error(
        client.get(f"/api/usage?months={months}", headers=users.a), 422, "VALIDATION_ERROR"
    )


def test_usage_needs_a_token(chat_app):
    assert_error(chat_app().test_client().get("/api/usage"), 401, "AUTH_REQUIRED")
