"""Only a conversation's first turn starts the title call: later turns (a second send, a
regenerated answer, an edited first message) start no title greenlet and make no store read
for it. The real app on both stores, the model scripted at the provider edge, and the real
spawn observed as it starts each greenlet."""

from __future__ import annotations

import pytest

from canvalo_app.engine import runner
from tests.conftest import BOTH_STORES
from tests.helpers import conversation, routed, send, stream_events
from tests.scripted_model import say
from tests.title_helpers import QUESTION, install, titled


@pytest.fixture
def app(make_app):
    return make_app(MODEL_TITLES=True)


@BOTH_STORES
def test_only_the_first_turn_starts_a_title_call(app, client, users, monkeypatch):
    """Later turns (a second send, a regenerated answer, an edited first message) start no
    title greenlet at all: not even the store read that would find them not first."""
    spawned = []
    real_spawn = runner.spawn

    def spawn(target, *args, name):
        spawned.append(name)
        real_spawn(target, *args, name=name)

    monkeypatch.setattr(runner, "spawn", spawn)
    install(app, routed(*(say(f"Answer {n}.") for n in range(4))), [say("Overdue invoices")])
    first = stream_events(send(client, users.a, QUESTION))[0]
    conversation_id, question = first["conversation_id"], first["user_message_id"]
    assert titled(client, users.a, conversation_id, "Overdue invoices")
    stream_events(send(client, users.a, "Email them", conversation_id=conversation_id))
    base = f"/api/conversations/{conversation_id}/messages"
    last = conversation(client, users.a, conversation_id)["messages"][-1]["id"]
    stream_events(client.post(f"{base}/{last}/regenerate", headers=users.a))
    edited = client.post(f"{base}/{question}/edit", json={"message": "Hi"}, headers=users.a)
    assert len(stream_events(edited)) > 1
    titles = [name for name in spawned if name.endswith("-title")]
    assert len(spawned) == 5 and len(titles) == 1, spawned
