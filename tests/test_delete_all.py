"""Deleting all of a user's data on the real app and a real store: a signed confirmation
token first, then the deletion; business records only when the token says so; only what was
created before the token, so a token used again deletes nothing new; the token usage ledger
kept; another user's, an expired or an altered token refused; a running or starting answer
makes it 409, a row a dead worker left `streaming` does not.

Every test runs twice: on a SQLite file and on Supabase (PostgreSQL + PostgREST, pgstack).
"""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from canvalo_app import confirmations
from canvalo_app.demo import seed_demo
from canvalo_app.store.tables import BUSINESS_TABLES
from canvalo_app.store.values import NewMessage
from tests.conftest import BOTH_ENGINES, BOTH_STORES, TODAY, USER_A, USER_B, user_store
from tests.helpers import assert_error, routed, started, talk
from tests.scripted_model import Wait, install, say

pytestmark = BOTH_STORES


def add_action(store) -> dict:
    """A destructive action waiting for confirmation, outside any conversation."""
    expires = datetime.now(UTC) + timedelta(minutes=10)
    return store.create_action(
        {
            "agent_type": "invoices",
            "tool_name": "delete_invoice",
            "input": {},
            "summary": "Delete invoice INV-1",
            "expires_at": expires.isoformat(),
        }
    )


@pytest.fixture
def data(app, client, users) -> dict:
    """USER_A and USER_B each: two conversations (four messages), one pending action and the
    demo business. The rows each demo business got, by table."""
    seeded = {}
    for user, headers in ((USER_A, users.a), (USER_B, users.b)):
        talk(app, client, headers, "Repaint the porch", "Booked.")
        talk(app, client, headers, "Invoice the Smiths", "Done.")
        store = user_store(app, users, user)
        add_action(store)
        seeded = seed_demo(store, TODAY)
    return {table: seeded.get(table, 0) for table in BUSINESS_TABLES}


def ask(client, headers, **body) -> dict:
    response = client.post("/api/account/deletion", json=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def delete(client, headers, token):
    return client.delete("/api/account/data", json={"confirmation_token": token}, headers=headers)


def counts(app, users, user: str = USER_A) -> dict:
    """What `user` has, read straight from the store."""
    store = user_store(app, users, user)
    return {
        "conversations": store.list_conversations(100, 0)[1],
        "actions": store._count_records("agent_actions", [], None),
        "business": {table: store.count_records(table) for table in BUSINESS_TABLES},
        "tokens": len(store.token_usage("2000-01-01T00:00:00+00:00")),
    }


CHAT = {"conversations": 2, "messages": 4, "actions": 1}


def test_two_steps_delete_the_chat_and_keep_business_records_and_the_ledger(
    app, client, users, data
):
    before = counts(app, users)
    assert before["tokens"] == 2 and sum(before["business"].values()) > 0
    used = client.get("/api/usage", headers=users.a).json["used_this_month"]
    asked = ask(client, users.a)
    assert asked["will_delete"] == {**CHAT, "business_records": {}}
    assert asked["include_business_records"] is False
    expires = datetime.fromisoformat(asked["expires_at"]) - datetime.now(UTC)
    assert timedelta(minutes=4) < expires <= timedelta(minutes=5)
    assert counts(app, users) == before  # asking deletes nothing

    response = delete(client, users.a, asked["confirmation_token"])
    assert response.status_code == 200, response.json
    assert response.json == {
        "deleted": {**CHAT, "business_records": {}},
        "include_business_records": False,
    }
    after = counts(app, users)
    assert after == {**before, "conversations": 0, "actions": 0}
    assert client.get("/api/conversations", headers=users.a).json["total"] == 0
    assert client.get("/api/search?q=porch", headers=users.a).json["total"] == 0
    assert client.get("/api/usage", headers=users.a).json["used_this_month"] == used > 0
    assert counts(app, users, USER_B)["conversations"] == 2


NOTHING = {"conversations": 0, "messages": 0, "actions": 0, "business_records": {}}


def test_a_token_used_again_deletes_nothing_created_after_it_was_issued(app, client, users, data):
    asked = ask(client, users.a, include_business_records=True)
    later = talk(app, client, users.a, "Stain the fence", "Booked.")  # after the token
    first = delete(client, users.a, asked["confirmation_token"]).json["deleted"]
    assert first == {**CHAT, "business_records": data}
    assert conversation_ids(client, users.a) == [later["conversation_id"]]

    again = talk(app, client, users.a, "Seal the deck", "Done.")["conversation_id"]
    store = user_store(app, users)
    add_action(store)
    seed_demo(store, TODAY)
    before = counts(app, users)
    replay = delete(client, users.a, asked["confirmation_token"])
    assert replay.status_code == 200, replay.json
    assert replay.json["deleted"] == {**NOTHING, "business_records": dict.fromkeys(data, 0)}
    assert counts(app, users) == before
    assert set(conversation_ids(client, users.a)) == {later["conversation_id"], again}


def conversation_ids(client, headers) -> list[str]:
    page = client.get("/api/conversations", headers=headers).json
    return [item["id"] for item in page["conversations"]]


def test_with_business_records_every_business_table_is_emptied(app, client, users, data):
    asked = ask(client, users.a, include_business_records=True)
    assert asked["will_delete"] == {**CHAT, "business_records": data}
    assert asked["include_business_records"] is True
    deleted = delete(client, users.a, asked["confirmation_token"]).json
    assert deleted == {
        "deleted": {**CHAT, "business_records": data},
        "include_business_records": True,
    }
    after = counts(app, users)
    assert after["business"] == dict.fromkeys(BUSINESS_TABLES, 0)
    assert after["conversations"] == after["actions"] == 0 and after["tokens"] == 2
    assert counts(app, users, USER_B)["business"] == data  # B's own are untouched


def test_another_users_token_is_404_and_deletes_nothing(app, client, users, data):
    before_a, before_b = counts(app, users), counts(app, users, USER_B)
    token = ask(client, users.a, include_business_records=True)["confirmation_token"]
    assert_error(delete(client, users.b, token), 404, "CONFIRMATION_INVALID")
    assert counts(app, users) == before_a and counts(app, users, USER_B) == before_b


def test_an_expired_token_is_404(app, client, users, data):
    before = counts(app, users)
    stale = confirmations.issue(app.config, USER_A, True, now=time.time() - 301).token
    assert_error(delete(client, users.a, stale), 404, "CONFIRMATION_INVALID")
    assert counts(app, users) == before


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_an_altered_or_foreign_token_is_404(app, client, users, data):
    resume = started_ticket(app, client, users)
    before = counts(app, users)
    token = ask(client, users.a)["confirmation_token"]
    payload, signature = token.split(".")
    widened = _unb64(payload).replace(b":chat:", b":business:")
    assert widened != _unb64(payload)
    later = _unb64(payload).decode().split(":")
    later[2] = str(int(later[2]) + 3600 * 1_000_000)
    for bad in (
        f"{_b64(widened)}.{signature}",  # a token without business records, widened
        f"{_b64(':'.join(later).encode())}.{signature}",  # its issue (and expiry) moved on
        f"{payload}.{signature[:-2]}",
        payload,
        "not a token",
        "a.b.c",
        resume,  # another signed value of the server's: a resume ticket
    ):
        assert_error(delete(client, users.a, bad), 404, "CONFIRMATION_INVALID")
    assert counts(app, users) == before
    # The genuine token still works, and never reaches the business records.
    assert delete(client, users.a, token).json["deleted"]["conversations"] == 3
    assert counts(app, users) == {**before, "conversations": 0, "actions": 0}


def started_ticket(app, client, users) -> str:
    """The resume ticket of a new generation of USER_A's."""
    start = talk(app, client, users.a, "Ticket please", "Here.")
    return start["resume_url"].split("ticket=")[1]


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/api/account/deletion", {"include_business_records": "maybe"}),
        ("post", "/api/account/deletion", {"everything": True}),
        ("post", "/api/account/deletion", []),
        ("delete", "/api/account/data", {}),
        ("delete", "/api/account/data", {"confirmation_token": ""}),
        ("delete", "/api/account/data", {"confirmation_token": 12}),
        ("delete", "/api/account/data", {"confirmation_token": "x" * 1001}),
        ("delete", "/api/account/data", {"confirmation_token": "x", "also": 1}),
    ],
)
def test_bad_bodies_are_422(client, users, method, path, body):
    response = getattr(client, method)(path, json=body, headers=users.a)
    assert_error(response, 422, "VALIDATION_ERROR")


def test_malformed_json_and_no_token(client, users):
    bad = client.post(
        "/api/account/deletion", data="{", content_type="application/json", headers=users.a
    )
    assert_error(bad, 400, "BAD_REQUEST")
    assert_error(client.post("/api/account/deletion", json={}), 401, "AUTH_REQUIRED")
    assert_error(client.delete("/api/account/data", json={}), 401, "AUTH_REQUIRED")


@BOTH_ENGINES
def test_a_running_answer_makes_it_409_until_it_ends(app, client, users):
    cid = talk(app, client, users.a, "Prime the shed", "Ok.")["conversation_id"]
    token = ask(client, users.a)["confirmation_token"]
    release = threading.Event()
    install(app, *routed([*say("Working"), Wait(release), *say(" on it")]))
    response = client.post(
        "/api/chat/stream",
        json={"message": "go", "conversation_id": cid},
        headers=users.a,
        buffered=False,
    )
    reader = iter(response.response)
    started(reader)
    assert_error(delete(client, users.a, token), 409, "CONVERSATION_BUSY")
    assert counts(app, users)["conversations"] == 1
    release.set()
    for _ in reader:  # the answer ends
        pass
    response.close()
    deleted = delete(client, users.a, token)
    assert deleted.status_code == 200, deleted.json
    assert deleted.json["deleted"]["messages"] == 4


def test_an_answer_left_streaming_by_a_dead_worker_does_not_block_it(app, client, users):
    cid = talk(app, client, users.a, "Prime the shed", "Ok.")["conversation_id"]
    store = user_store(app, users)
    # A `streaming` row no generation runs for (its worker died; the sweep has not run yet).
    store.add_messages(
        cid, [NewMessage("user", "More?"), NewMessage("assistant", "Pa", status="streaming")]
    )
    token = ask(client, users.a)["confirmation_token"]
    deleted = delete(client, users.a, token)
    assert deleted.status_code == 200, deleted.json
    assert deleted.json["deleted"] == {**NOTHING, "conversations": 1, "messages": 4}
    assert counts(app, users)["conversations"] == 0


@BOTH_ENGINES
def test_a_send_being_prepared_makes_it_409_and_cannot_start_while_it_deletes(app, client, users):
    cid = talk(app, client, users.a, "Prime the shed", "Ok.")["conversation_id"]
    token = ask(client, users.a)["confirmation_token"]
    registry = app.extensions["generations"]
    registry.reserve(cid)  # as a send does before it writes its rows (engine/send.py)
    assert_error(delete(client, users.a, token), 409, "CONVERSATION_BUSY")
    assert counts(app, users)["conversations"] == 1
    registry.release(cid)
    assert delete(client, users.a, token).json["deleted"]["conversations"] == 1
    registry.reserve(cid)  # the deletion gave every conversation back
    registry.release(cid)
