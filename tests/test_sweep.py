"""Maintenance: rows left streaming by a killed worker, and answers whose token lapsed.

A token that expires during a turn: the answer streams to its end and is saved whole.
PostgREST (like Supabase) accepts a token up to 30 s past its `exp`, so a token minted 26 s
past it, accepted by the app's 30 s leeway, stops working about 4 s into the turn.
"""

from __future__ import annotations

import time

import pytest

from canvalo_app.store.base import Identity
from tests.conftest import BOTH_STORES, USER_A, USER_B
from tests.helpers import answer_of, assistant_row, routed, send, stream_events
from tests.scripted_model import Pause, install, say

SUPABASE = pytest.mark.parametrize("store_backend", ["supabase"], indirect=True)
EXPIRED_26_SECONDS_AGO = -26


def expiring_headers(users) -> dict:
    return {"Authorization": f"Bearer {users.token(USER_A, ttl_seconds=EXPIRED_26_SECONDS_AGO)}"}


def slow_answer() -> list:
    return [*say("Here is the first half")[:-2], Pause(6.0), *say(" and the second half.")]


@SUPABASE
def test_answer_is_saved_whole_when_the_token_expires_mid_turn(make_app, users):
    app = make_app(JWT_LEEWAY_SECONDS=30, CONTENT_FLUSH_SECONDS=0.0)
    install(app, *routed(slow_answer()))
    evts = stream_events(send(app.test_client(), expiring_headers(users), "Tell me slowly"))
    assert evts[-1]["type"] == "complete"
    assert answer_of(evts) == "Here is the first half and the second half."
    row = assistant_row(app.test_client(), users.a, evts[0]["conversation_id"])
    assert row["status"] == "complete"
    assert row["content"] == answer_of(evts)


@SUPABASE
def test_without_the_secret_key_the_row_is_left_to_the_sweep(make_app, users):
    app = make_app(JWT_LEEWAY_SECONDS=30, CONTENT_FLUSH_SECONDS=0.0, SUPABASE_SECRET_KEY=None)
    install(app, *routed(slow_answer()))
    evts = stream_events(send(app.test_client(), expiring_headers(users), "Tell me slowly"))
    assert evts[-1]["type"] == "complete"  # the stream itself is unharmed
    row = assistant_row(app.test_client(), users.a, evts[0]["conversation_id"])
    assert row["status"] == "streaming"
    assert row["content"] == "Here is the first half"  # flushed before the token lapsed


@BOTH_STORES
def test_maintenance_writes_only_the_owners_streaming_row(app, users):
    store = app.extensions["store"]
    mine = store.for_user(Identity(USER_A, users.token(USER_A)))
    conversation_id = mine.create_conversation("t")["id"]
    streaming = mine.add_message(conversation_id, "assistant", "half", status="streaming")
    done = mine.add_message(conversation_id, "assistant", "whole", status="complete")

    others = store.maintenance_for(USER_B)
    assert others.update_message(streaming["id"], if_streaming=True, content="stolen") is None
    owners = store.maintenance_for(USER_A)
    assert owners.update_message(done["id"], if_streaming=True, content="changed") is None
    closed = owners.update_message(
        streaming["id"], if_streaming=True, content="all", status="complete"
    )
    assert closed["content"] == "all" and closed["status"] == "complete"
    assert mine.get_message(done["id"])["content"] == "whole"


@BOTH_STORES
def test_sweep_marks_abandoned_rows(app, client, users, runner):
    store = app.extensions["store"].for_user(Identity(USER_A, users.token(USER_A)))
    conversation_id = store.create_conversation("t")["id"]
    abandoned = store.add_message(conversation_id, "assistant", "half", status="streaming")
    assert "0 abandoned" in runner.invoke(args=["sweep"]).output  # too recent to be abandoned
    time.sleep(0.05)
    result = runner.invoke(args=["sweep", "--stale-seconds", "0.01"])
    assert "Marked 1 abandoned" in result.output
    row = store.get_message(abandoned["id"])
    assert row["status"] == "interrupted" and row["content"] == "half"
