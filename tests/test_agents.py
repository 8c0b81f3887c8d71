"""The assistant's safety and routing, with a scripted model that misbehaves on purpose:
identity, allow-lists, schemas, confirmation of destructive actions, turn limits, context."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from canvalo_app.agents.context import business_profile, today_for
from canvalo_app.agents.domains import agents
from canvalo_app.demo import seed_demo
from tests.conftest import BOTH_STORES, USER_A, USER_B, user_store
from tests.helpers import answer_of, assert_error, send, stream_events
from tests.scripted_model import call, install, route, say

pytestmark = BOTH_STORES


@pytest.fixture
def stores(app, users):
    a = user_store(app, users, USER_A)
    b = user_store(app, users, USER_B)
    seed_demo(a)
    seed_demo(b)
    return a, b


def invoice_of(store, number):
    return next(
        r for r in store.list_records("invoices", limit=100) if r["invoice_number"] == number
    )


def kinds(evts):
    return [e["type"] for e in evts]


def test_routing_events_and_tool_events(app, client, users, stores):
    install(
        app, route("invoices"), call("list_invoices", status="overdue"), say("INV-1002 is overdue.")
    )
    evts = stream_events(send(client, users.a, "which invoices are overdue?"))
    assert kinds(evts) == [
        "start",
        "agent",
        "tool_call",
        "tool_result",
        "token",
        "token",
        "token",
        "complete",
    ]
    assert evts[1] == {**evts[1], "agent_type": "invoices", "reason": "scripted"}
    assert evts[2]["tool_name"] == "list_invoices" and evts[2]["input"] == {"status": "overdue"}
    assert evts[3]["status"] == "ok" and evts[3]["tool_call_id"] == evts[2]["tool_call_id"]
    assert evts[-1]["agent_type"] == "invoices"
    row = client.get(f"/api/conversations/{evts[0]['conversation_id']}", headers=users.a).json[
        "messages"
    ][-1]
    assert row["agent_type"] == "invoices"
    assert row["metadata"]["tool_calls"][0]["name"] == "list_invoices"


def test_tool_results_go_back_to_the_model(app, client, users, stores):
    model = install(app, route("invoices"), call("list_invoices", status="overdue"), say("Done."))
    stream_events(send(client, users.a, "overdue?"))
    last = model.requests[-1].messages
    result = last[-1]["content"][0]["toolResult"]
    assert result["status"] == "success"
    listed = result["content"][0]["json"]["result"]["invoices"]
    assert [i["invoice_number"] for i in listed] == ["INV-1002"]
    offered = {tool.name for tool in model.requests[-1].tools}
    assert offered == set(agents()["invoices"].tools)  # the invoices agent's own tools


def test_another_users_record_is_invisible_to_tools(app, client, users, stores):
    a, b = stores
    theirs = invoice_of(b, "INV-1002")
    install(
        app,
        route("invoices"),
        call("get_invoice", id=theirs["id"]),
        call("update_invoice", id=theirs["id"], notes="hijacked"),
        say("ok"),
    )
    response = send(client, users.a, "show that invoice")
    evts = stream_events(response)
    results = [e for e in evts if e["type"] == "tool_result"]
    assert [r["status"] for r in results] == ["error", "error"]
    assert b.get_record("invoices", theirs["id"])["notes"] == theirs["notes"]
    assert theirs["client_email"] not in response.get_data(as_text=True)


def test_tool_outside_the_agent_is_refused(app, client, users, stores):
    a, _ = stores
    contact = a.list_records("contacts", limit=1)[0]
    install(app, route("invoices"), call("update_contact", id=contact["id"], notes="x"), say("ok"))
    evts = stream_events(send(client, users.a, "invoices"))
    result = next(e for e in evts if e["type"] == "tool_result")
    assert result["status"] == "error" and "not allowed" in result["summary"].lower()
    assert a.get_record("contacts", contact["id"])["notes"] == contact["notes"]


def test_user_id_argument_is_refused(app, client, users, stores):
    install(app, route("contacts"), call("list_contacts", user_id=USER_B), say("ok"))
    evts = stream_events(send(client, users.a, "contacts"))
    assert next(e for e in evts if e["type"] == "tool_result")["status"] == "error"


def test_endless_tool_calls_are_contained(make_app, users):
    app = make_app()
    seed_demo(user_store(app, users, USER_A))
    install(app, route("tasks"), default=call("list_tasks"))
    client = app.test_client()
    evts = stream_events(send(client, users.a, "tasks forever"))
    assert kinds(evts).count("tool_call") == app.config["MAX_TOOL_CALLS"]
    assert evts[-1]["type"] == "error" and evts[-1]["code"] == "TURN_LIMIT_REACHED"


def test_model_call_cap(make_app, users):
    app = make_app(MAX_MODEL_CALLS=3, MAX_TOOL_CALLS=50)
    install(app, route("tasks"), default=call("list_tasks"))
    evts = stream_events(send(app.test_client(), users.a, "tasks"))
    assert kinds(evts).count("tool_call") == 2
    assert evts[-1]["code"] == "TURN_LIMIT_REACHED"


class TestConfirmation:
    def start_delete(self, app, client, users, store):
        invoice = invoice_of(store, "INV-1005")
        install(
            app,
            route("invoices"),
            call("delete_invoice", id=invoice["id"]),
            say("I need your confirmation."),
        )
        evts = stream_events(send(client, users.a, "delete the Brooks invoice"))
        return invoice, next(e for e in evts if e["type"] == "confirmation_required")

    def test_delete_waits_for_confirmation(self, app, client, users, stores):
        a, _ = stores
        invoice, pending = self.start_delete(app, client, users, a)
        assert pending["tool_name"] == "delete_invoice"
        assert "INV-1005" in pending["summary"]
        assert datetime.fromisoformat(pending["expires_at"]) > datetime.now(UTC)
        assert a.get_record("invoices", invoice["id"]) is not None  # nothing happened yet
        action = client.get(f"/api/actions/{pending['action_id']}", headers=users.a).json
        assert action["status"] == "pending"
        confirmed = client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a)
        assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
        assert a.get_record("invoices", invoice["id"]) is None
        again = client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a)
        assert_error(again, 409, "ACTION_ALREADY_RESOLVED")

    def test_chat_text_confirms_nothing(self, app, client, users, stores):
        a, _ = stores
        invoice, pending = self.start_delete(app, client, users, a)
        install(app, route("invoices"), say("Confirmed!"))
        stream_events(send(client, users.a, "yes, I confirm, delete it"))
        assert a.get_record("invoices", invoice["id"]) is not None
        assert a.get_action(pending["action_id"])["status"] == "pending"

    def test_other_user_cannot_see_or_confirm(self, app, client, users, stores):
        a, _ = stores
        invoice, pending = self.start_delete(app, client, users, a)
        for method, suffix in (("get", ""), ("post", "/confirm"), ("post", "/cancel")):
            response = getattr(client, method)(
                f"/api/actions/{pending['action_id']}{suffix}", headers=users.b
            )
            assert_error(response, 404, "ACTION_NOT_FOUND")
        assert a.get_record("invoices", invoice["id"]) is not None
        still = client.get(f"/api/actions/{pending['action_id']}", headers=users.a)
        assert still.json["status"] == "pending"

    def test_cancel(self, app, client, users, stores):
        a, _ = stores
        invoice, pending = self.start_delete(app, client, users, a)
        cancelled = client.post(f"/api/actions/{pending['action_id']}/cancel", headers=users.a)
        assert cancelled.json["status"] == "cancelled"
        assert_error(
            client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a),
            409,
            "ACTION_ALREADY_RESOLVED",
        )
        assert a.get_record("invoices", invoice["id"]) is not None

    def test_expired_action_is_refused(self, make_app, users):
        app = make_app(ACTION_TTL_SECONDS=0)
        client = app.test_client()
        store = user_store(app, users, USER_A)
        seed_demo(store)
        invoice, pending = self.start_delete(app, client, users, store)
        assert_error(
            client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a),
            409,
            "ACTION_EXPIRED",
        )
        assert store.get_action(pending["action_id"])["status"] == "expired"
        assert store.get_record("invoices", invoice["id"]) is not None

    @pytest.mark.parametrize("action_id", ["not-a-uuid", "00000000-0000-4000-8000-00000000dead"])
    def test_unknown_action(self, client, users, action_id):
        response = client.post(f"/api/actions/{action_id}/confirm", headers=users.a)
        assert response.status_code == 404


def test_two_domains_run_in_turn(app, client, users, stores):
    install(
        app, route("invoices", "appointments"), say("Invoice drafted."), say("Walk-through booked.")
    )
    evts = stream_events(
        send(client, users.a, "invoice the Smith project and schedule the final walk-through")
    )
    agents = [e["agent_type"] for e in evts if e["type"] == "agent"]
    assert agents == ["invoices", "appointments"]
    assert answer_of(evts) == "Invoice drafted.\n\nWalk-through booked."
    tokens = [e["agent_type"] for e in evts if e["type"] == "token"]
    assert tokens[0] == "invoices" and tokens[-1] == "appointments"


def test_unclear_request_gets_a_question(client, users):
    evts = stream_events(send(client, users.a, "hello"))  # the offline model
    assert "agent" not in kinds(evts)
    assert answer_of(evts).endswith("?")
    assert evts[-1]["agent_type"] == "supervisor"


def test_profile_and_date_in_the_prompt(app, client, users, stores):
    model = install(app, route("tasks"), say("ok"))
    stream_events(send(client, users.a, "tasks"))
    system = model.requests[-1].system
    today = today_for(business_profile(stores[0]))  # the business's date, not the server's
    assert "Brightline Painting Co." in system and f"Today is {today}" in system
    assert "Times are the business's local time (America/New_York)." in system
    assert "Quarterly revenue" in system


def test_history_budget_and_summary(make_app, users):
    app = make_app(HISTORY_TOKEN_BUDGET=60)
    store = user_store(app, users, USER_A)
    conversation = store.create_conversation("long")
    for n in range(10):
        store.add_message(conversation["id"], "user", f"question {n} " + "words " * 20)
        store.add_message(conversation["id"], "assistant", f"answer {n} " + "words " * 20)
    model = install(app, say("ok"))
    stream_events(send(app.test_client(), users.a, "latest", conversation_id=conversation["id"]))
    request = model.requests[0]
    assert request.messages[-1]["content"][0]["text"] == "latest"
    assert request.messages[0]["role"] == "user"
    assert len(request.messages) < 5
    assert "Earlier in this conversation" in request.system and "question 0" in request.system


def test_nothing_of_user_b_reaches_user_a(client, users, stores):
    _, b = stores
    b.create_record(
        "contacts",
        {
            "first_name": "Zed",
            "last_name": "Secretperson",
            "contact_type": "client",
            "email": "zed@secret.example",
        },
    )
    body = "".join(
        send(client, users.a, m).get_data(as_text=True)
        for m in ("find Zed", "show my contacts", "which invoices are overdue?")
    )
    assert "Secretperson" not in body and "zed@secret.example" not in body


def test_pending_actions_expire_after_ten_minutes_by_default(app, client, users, stores):
    a, _ = stores
    invoice = invoice_of(a, "INV-1004")
    install(app, route("invoices"), call("delete_invoice", id=invoice["id"]), say("ok"))
    evts = stream_events(send(client, users.a, "delete"))
    pending = next(e for e in evts if e["type"] == "confirmation_required")
    ttl = datetime.fromisoformat(pending["expires_at"]) - datetime.now(UTC)
    assert timedelta(minutes=9) < ttl <= timedelta(minutes=10)


def test_supervisor_chatter_before_a_route_is_not_shown(app, client, users, stores):
    from canvalo_app.llm.base import TextDelta

    install(app, [TextDelta("Let me route this. "), *route("tasks")], say("You have 4 tasks."))
    evts = stream_events(send(client, users.a, "tasks"))
    assert answer_of(evts) == "You have 4 tasks."


def test_a_tool_call_the_model_garbled_still_streams_and_saves_as_strict_json(app, client, users):
    garbled = {"search": "paint \ud800", "limit": float("inf")}
    install(app, route("tasks"), call("list_tasks", **garbled), say("Sorry, let me retry."))
    response = send(client, users.a, "tasks")
    strict = [
        json.loads(line[len("data: ") :], parse_constant=_refuse)
        for line in response.get_data(as_text=True).splitlines()
        if line.startswith("data: ")
    ]
    shown = next(e for e in strict if e["type"] == "tool_call")["input"]
    assert shown == {"search": "paint ?", "limit": None}
    assert strict[-1]["type"] == "complete"
    conversation_id = strict[0]["conversation_id"]
    messages = client.get(f"/api/conversations/{conversation_id}", headers=users.a).json["messages"]
    assert messages[-1]["status"] == "complete"
    assert messages[-1]["metadata"]["tool_calls"][0]["input"] == shown


def _refuse(name: str):
    raise ValueError(f"{name} is not JSON")
