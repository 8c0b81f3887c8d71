"""Confirming and cancelling actions through the API (api/actions.py), on both stores: a
confirmed action runs exactly once; a store failure while it runs leaves it pending, to be
confirmed again; a refusal ends it failed with the reason; an action left executing is shown
and never run again; nobody else can see, confirm or cancel it."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import pytest

from canvalo_app.agents.context import today_for
from canvalo_app.demo import seed_demo
from canvalo_app.store.base import now_iso
from tests.agent_helpers import campaign_of, confirmation
from tests.conftest import BOTH_STORES, RestV1Transport, user_store
from tests.helpers import assert_error, send, stream_events
from tests.scripted_model import call, install, route, say

HOLIDAY = "the sms campaign “Holiday touch-up reminder”"


class TableOutage(httpx.BaseTransport):
    """The network edge: while `down`, no request for one table reaches PostgREST. With
    `after_change_of`, it goes down once a change to that other table has gone through."""

    def __init__(self, table: str, after_change_of: str | None = None, lose_answers=False):
        self.path = f"/{table}"
        self.after = f"/{after_change_of}" if after_change_of else None
        self.down = False
        self.lose_answers = lose_answers  # changes go through; their answers never come back
        self.stack = RestV1Transport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down and request.url.path.endswith(self.path):
            if self.lose_answers and request.method == "GET":
                return self.stack.handle_request(request)
            if self.lose_answers:
                self.stack.handle_request(request).read()
                raise httpx.ReadTimeout("no answer", request=request)
            raise httpx.ConnectError("connection refused", request=request)
        response = self.stack.handle_request(request)
        if self.after and request.method == "PATCH" and request.url.path.endswith(self.after):
            self.down = True
        return response

    def close(self) -> None:
        self.stack.close()


@pytest.fixture
def outage(store_backend, make_app):
    """An app, and a switch that puts its campaigns table out of reach (True) and back.

    SQLite: another connection moves the table away, as a migration rebuilding it would.
    Supabase: the table's requests fail at the HTTP edge, as in a network partition."""
    if store_backend == "supabase":
        edge = TableOutage("campaigns")
        app = make_app(SUPABASE_HTTP_TRANSPORT=edge)

        def switch(down: bool) -> None:
            edge.down = down

        return app, switch
    app = make_app()

    def switch(down: bool) -> None:
        here, away = ("campaigns", "campaigns_away") if down else ("campaigns_away", "campaigns")
        with closing(sqlite3.connect(app.config["SQLITE_PATH"], isolation_level=None)) as conn:
            conn.execute(f"ALTER TABLE {here} RENAME TO {away}")

    return app, switch


def seeded(app, users):
    """USER_A's store, holding the demo business as of today."""
    store = user_store(app, users)
    seed_demo(store, today_for({"timezone": "America/New_York"}))
    return store


def ask_to_send(app, client, users, store) -> tuple[dict, str]:
    """A chat turn in which the model asks to send the holiday campaign: the campaign as it
    was, and the pending action's confirm URL."""
    holiday = campaign_of(store, "Holiday")
    install(app, route("campaigns"), call("send_campaign", id=holiday["id"]), say("Confirm it."))
    pending = confirmation(stream_events(send(client, users.a, "send the holiday campaign")))
    assert pending["summary"] == f"Send {HOLIDAY} to clients"
    return holiday, f"/api/actions/{pending['action_id']}"


@BOTH_STORES
def test_a_store_failure_while_it_runs_leaves_the_action_pending(outage, users):
    app, switch = outage
    client = app.test_client()
    store = seeded(app, users)
    holiday, url = ask_to_send(app, client, users, store)
    switch(True)
    try:
        error = assert_error(
            client.post(f"{url}/confirm", headers=users.a), 503, "ACTION_INTERRUPTED"
        )
    finally:
        switch(False)
    assert error["retryable"] is True
    assert error["details"] == {"action_id": url.rsplit("/", 1)[1], "status": "pending"}
    action = client.get(url, headers=users.a).json
    assert (action["status"], action["result"], action["resolved_at"]) == ("pending", None, None)
    assert campaign_of(store, "Holiday") == holiday

    confirmed = client.post(f"{url}/confirm", headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["result"]["summary"] == f"Sent {HOLIDAY}"
    sent = campaign_of(store, "Holiday")
    assert sent["status"] == "sent" and sent["sent_at"] is not None
    assert_error(client.post(f"{url}/confirm", headers=users.a), 409, "ACTION_ALREADY_RESOLVED")
    assert campaign_of(store, "Holiday") == sent  # changed once


def test_a_locked_database_at_confirm_leaves_the_action_pending(app, client, users):
    app.extensions["store"].lock_wait = 0.3
    store = seeded(app, users)
    holiday, url = ask_to_send(app, client, users, store)
    with closing(sqlite3.connect(app.config["SQLITE_PATH"], isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        assert_error(client.post(f"{url}/confirm", headers=users.a), 503, "STORE_UNAVAILABLE")
        holder.execute("ROLLBACK")
    assert client.get(url, headers=users.a).json["status"] == "pending"
    assert campaign_of(store, "Holiday") == holiday
    confirmed = client.post(f"{url}/confirm", headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert campaign_of(store, "Holiday")["status"] == "sent"


@BOTH_STORES
@pytest.mark.parametrize("change", ["sent meanwhile", "deleted meanwhile"])
def test_a_refusal_ends_the_action_failed_with_the_reason(app, client, users, change):
    store = seeded(app, users)
    holiday, url = ask_to_send(app, client, users, store)
    if change == "deleted meanwhile":
        store.delete_record("campaigns", holiday["id"])
        reason = f"No campaign with id {holiday['id']} was found."
    else:
        store.update_record("campaigns", holiday["id"], {"status": "sent"})
        reason = (
            "“Holiday touch-up reminder” is already sent: it can become draft or completed, "
            "not sent."
        )
    error = assert_error(client.post(f"{url}/confirm", headers=users.a), 409, "ACTION_FAILED")
    why = {"code": "REFUSED", "message": reason}
    assert error["details"] == {
        "action_id": url.rsplit("/", 1)[1],
        "status": "failed",
        "reason": why,
    }
    action = client.get(url, headers=users.a).json
    assert (action["status"], action["result"]) == ("failed", {"error": why})
    for verb in ("confirm", "cancel"):
        assert_error(client.post(f"{url}/{verb}", headers=users.a), 409, "ACTION_ALREADY_RESOLVED")


@BOTH_STORES
def test_concurrent_confirms_run_the_action_once(app, users):
    store = seeded(app, users)
    _, url = ask_to_send(app, app.test_client(), users, store)
    start = threading.Barrier(6)

    def confirm(_) -> tuple[int, str | None]:
        client = app.test_client()
        start.wait()
        response = client.post(f"{url}/confirm", headers=users.a)
        return response.status_code, response.json.get("error", {}).get("code")

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(confirm, range(6)))
    assert outcomes.count((200, None)) == 1, outcomes
    refusals = {code for status, code in outcomes if status == 409}
    assert len(outcomes) - 1 == sum(status == 409 for status, _ in outcomes), outcomes
    assert refusals <= {"ACTION_IN_PROGRESS", "ACTION_ALREADY_RESOLVED"}
    action = app.test_client().get(url, headers=users.a).json
    assert action["status"] == "confirmed" and action["result"]["summary"] == f"Sent {HOLIDAY}"


@BOTH_STORES
def test_an_action_left_executing_is_shown_and_never_run_again(app, client, users):
    store = seeded(app, users)
    holiday, url = ask_to_send(app, client, users, store)
    action_id = url.rsplit("/", 1)[1]
    assert store.resolve_action(action_id, "executing", now_iso())  # as a worker that died
    assert client.get(url, headers=users.a).json["status"] == "executing"
    for verb in ("confirm", "cancel"):
        assert_error(client.post(f"{url}/{verb}", headers=users.a), 409, "ACTION_IN_PROGRESS")
    assert campaign_of(store, "Holiday") == holiday


# Supabase only: on SQLite nothing can fail between the tool's write and the next one.
@pytest.mark.parametrize("store_backend", ["supabase"], indirect=True)
def test_an_outcome_the_store_cannot_save_leaves_the_action_executing(make_app, users):
    edge = TableOutage("agent_actions", after_change_of="campaigns")
    app = make_app(SUPABASE_HTTP_TRANSPORT=edge)
    client = app.test_client()
    store = seeded(app, users)
    _, url = ask_to_send(app, client, users, store)
    error = assert_error(
        client.post(f"{url}/confirm", headers=users.a), 503, "ACTION_OUTCOME_UNKNOWN"
    )
    assert error["retryable"] is False and error["details"]["status"] == "executing"
    edge.down = False
    sent = campaign_of(store, "Holiday")
    assert sent["status"] == "sent"  # the tool ran; its outcome was not saved
    assert client.get(url, headers=users.a).json["status"] == "executing"
    assert_error(client.post(f"{url}/confirm", headers=users.a), 409, "ACTION_IN_PROGRESS")
    assert campaign_of(store, "Holiday") == sent


@pytest.mark.parametrize("store_backend", ["supabase"], indirect=True)
def test_a_change_whose_answer_was_lost_is_not_offered_to_run_again(make_app, users):
    """The send reached the store, its answer did not: the action may have run, so it stays
    executing rather than going back to pending (a second confirm would send twice)."""
    edge = TableOutage("campaigns", lose_answers=True)
    app = make_app(SUPABASE_HTTP_TRANSPORT=edge)
    client = app.test_client()
    store = seeded(app, users)
    _, url = ask_to_send(app, client, users, store)
    edge.down = True
    try:
        error = assert_error(
            client.post(f"{url}/confirm", headers=users.a), 503, "ACTION_OUTCOME_UNKNOWN"
        )
    finally:
        edge.down = False
    assert error["details"]["status"] == "executing"
    sent = campaign_of(store, "Holiday")
    assert sent["status"] == "sent"  # it was carried out
    assert client.get(url, headers=users.a).json["status"] == "executing"
    assert_error(client.post(f"{url}/confirm", headers=users.a), 409, "ACTION_IN_PROGRESS")
    assert campaign_of(store, "Holiday") == sent


@BOTH_STORES
def test_another_users_token_finds_no_action(app, client, users):
    store = seeded(app, users)
    holiday, url = ask_to_send(app, client, users, store)
    for method, suffix in (("get", ""), ("post", "/confirm"), ("post", "/cancel")):
        response = getattr(client, method)(f"{url}{suffix}", headers=users.b)
        assert_error(response, 404, "ACTION_NOT_FOUND")
    assert client.get(url, headers=users.a).json["status"] == "pending"
    assert campaign_of(store, "Holiday") == holiday
    cancelled = client.post(f"{url}/cancel", headers=users.a)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert campaign_of(store, "Holiday") == holiday
