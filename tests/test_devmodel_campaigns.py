"""The offline development model drives the campaigns agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the campaigns agent's are in test_domain_campaigns.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.campaigns import agent
from tests.agent_helpers import (
    agent_types,
    campaign_of,
    chat,
    confirmation,
    tool_calls,
)
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("how did my spring campaign do?", "campaign_metrics", {"name": "spring"}),
        ("show campaign metrics", "campaign_metrics", {}),
        ("what's the open rate of the holiday campaign?", "campaign_metrics", {"name": "holiday"}),
        ("show my scheduled campaigns", "list_campaigns", {"limit": 20, "status": "scheduled"}),
        ("list my text campaigns", "list_campaigns", {"limit": 20, "channel": "sms"}),
        ("send the holiday campaign", "list_campaigns", {"search": "holiday", "limit": 5}),
        ("cancel the spring campaign", "list_campaigns", {"search": "spring", "limit": 5}),
        (
            "send the holiday touch-up reminder now",
            "list_campaigns",
            {"search": "holiday touch-up reminder", "limit": 5},
        ),
        (
            "send out our spring exterior special today!",
            "list_campaigns",
            {"search": "spring exterior special", "limit": 5},
        ),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_spring_campaign_results(ctx):
    _, reply = drive(agent, "how did my spring campaign do?", ctx)
    assert reply == (
        "Here's how “Spring exterior special” (email, sent) did: 420 recipients, 189 opens "
        "(45.0% open rate), 46 clicks (11.0%), 7 conversions (1.7%); $120.00 spent, $17.14 per "
        "conversion."
    )


def test_rules_all_campaign_metrics(ctx):
    _, reply = drive(agent, "show campaign metrics", ctx)
    assert reply.startswith("Results for your 3 campaigns:")
    assert "“Holiday touch-up reminder” (sms, scheduled): no results yet." in reply
    assert "All together: 420 recipients" in reply


def test_rules_send_waits_for_confirmation(ctx, stores):
    steps, reply = drive(agent, "send the holiday campaign", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_campaigns", "ok"),
        ("send_campaign", "pending_confirmation"),
    ]
    assert "Nothing is sent until you confirm it in the app." in reply
    assert "Holiday touch-up reminder" in reply
    assert campaign_of(stores[0], "Holiday")["status"] == "scheduled"


def test_rules_cancel_waits_for_confirmation(ctx, stores):
    steps, reply = drive(agent, "cancel the holiday campaign", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_campaigns", "ok"),
        ("cancel_campaign", "pending_confirmation"),
    ]
    assert reply == (
        "I've asked you to confirm: Cancel the sms campaign “Holiday touch-up reminder”. "
        "Nothing changes until you confirm it in the app."
    )
    assert campaign_of(stores[0], "Holiday")["status"] == "scheduled"
    steps, reply = drive(agent, "cancel the spring campaign", ctx)
    assert [s.name for s in steps] == ["list_campaigns", "cancel_campaign"]
    assert reply == (
        "I couldn't do that: “Spring exterior special” is already sent: it can become draft or "
        "completed, not cancelled."
    )
    steps, reply = drive(agent, "cancel my campaign", ctx)
    assert steps == [] and reply == "Which campaign should I cancel? Tell me its name."


def test_rules_refusals_and_questions(ctx):
    _, reply = drive(agent, "send the spring campaign", ctx)
    assert reply == (
        "I couldn't do that: “Spring exterior special” is already sent: it can become draft or "
        "completed, not sent."
    )
    steps, reply = drive(agent, "send the winter campaign", ctx)
    assert len(steps) == 1 and reply == "I couldn't find any campaign matching “winter”."
    steps, reply = drive(agent, "send my campaign", ctx)
    assert steps == [] and reply == "Which campaign should I send? Tell me its name."
    steps, reply = drive(agent, "schedule the cabinet campaign", ctx)
    assert steps == [] and reply.startswith("When should “cabinet” go out?")


def test_rules_schedule_waits_for_confirmation(ctx, stores):
    steps, reply = drive(agent, "schedule the cabinet campaign for December 1 at 10am", ctx)
    assert [(s.name, s.status) for s in steps] == [
        ("list_campaigns", "ok"),
        ("schedule_campaign", "pending_confirmation"),
    ]
    assert steps[-1].input["scheduled_at"] == "2026-12-01T10:00:00"
    assert reply == (
        "I've asked you to confirm: Schedule the social campaign “Cabinet refinishing promo” "
        "for 2026-12-01 10:00 EST. Nothing changes until you confirm it in the app."
    )
    assert campaign_of(stores[0], "Cabinet")["status"] == "draft"


# End to end -------------------------------------------------------------------------------
def test_chat_spring_campaign_results(client, users, live):
    evts, reply = chat(client, users, "how did my spring campaign do?")
    assert agent_types(evts) == ["campaigns"] and tool_calls(evts) == ["campaign_metrics"]
    assert "45.0% open rate" in reply and "$17.14 per conversion" in reply


def test_chat_send_needs_confirmation(client, users, live):
    evts, reply = chat(client, users, "send the holiday campaign")
    assert agent_types(evts) == ["campaigns"]
    assert tool_calls(evts) == ["list_campaigns", "send_campaign"]
    pending = next(e for e in evts if e["type"] == "confirmation_required")
    assert pending["tool_name"] == "send_campaign"
    assert "Nothing is sent until you confirm it in the app." in reply
    assert campaign_of(live, "Holiday")["status"] == "scheduled"
    assert (
        client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a).status_code
        == 200
    )
    assert campaign_of(live, "Holiday")["status"] == "sent"


def test_chat_schedule_needs_confirmation(client, users, live):
    evts, reply = chat(client, users, "for the cabinet campaign, schedule it for March 2 at 10am")
    assert tool_calls(evts) == ["list_campaigns", "schedule_campaign"]
    pending = next(e for e in evts if e["type"] == "confirmation_required")
    assert pending["summary"].startswith("Schedule the social campaign “Cabinet refinishing promo”")
    assert "Nothing changes until you confirm it in the app." in reply
    assert campaign_of(live, "Cabinet")["status"] == "draft"
    confirmed = client.post(f"/api/actions/{pending['action_id']}/confirm", headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert campaign_of(live, "Cabinet")["status"] == "scheduled"


@BOTH_STORES
def test_chat_send_a_campaign_by_its_name_needs_confirmation(client, users, live):
    evts, reply = chat(client, users, "send the holiday touch-up reminder now")
    assert agent_types(evts) == ["campaigns"]
    assert tool_calls(evts) == ["list_campaigns", "send_campaign"]
    pending = confirmation(evts)
    assert pending["summary"] == "Send the sms campaign “Holiday touch-up reminder” to clients"
    assert "Nothing is sent until you confirm it in the app." in reply
    assert campaign_of(live, "Holiday")["status"] == "scheduled"
