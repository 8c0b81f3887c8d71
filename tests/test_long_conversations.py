"""A conversation of more messages than SQLite nests triggers (1,000) is deleted like any
other, on a SQLite file and on Supabase (PostgreSQL + PostgREST, pgstack)."""

from __future__ import annotations

from canvalo_app.store.base import NewMessage
from tests.conftest import BOTH_STORES, USER_A, user_store
from tests.helpers import assert_error

pytestmark = BOTH_STORES

#: Longer than SQLite's limit on nested triggers (1,000), which a cascade along the chain of
#: parents would have to follow one message at a time.
LONG_CHAIN = 1100


def test_a_conversation_of_a_long_chain_of_messages_is_deleted(app, client, users):
    response = client.post("/api/conversations", json={"title": "Long job"}, headers=users.a)
    conversation = response.json
    store = user_store(app, users, USER_A)
    for start in range(0, LONG_CHAIN, 100):
        batch = [NewMessage("user", f"message {n}") for n in range(start, start + 100)]
        assert store.add_messages(conversation["id"], batch) is not None
    assert store.list_messages(conversation["id"], 1, 0)[1] == LONG_CHAIN
    response = client.delete(f"/api/conversations/{conversation['id']}", headers=users.a)
    assert response.status_code == 200, response.json
    assert store.list_messages(conversation["id"], 1, 0) == ([], 0)
    assert_error(
        client.get(f"/api/conversations/{conversation['id']}", headers=users.a),
        404,
        "CONVERSATION_NOT_FOUND",
    )
