"""The offline development model drives the settings agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the settings agent's are in test_domain_settings.py."""

from __future__ import annotations

from datetime import datetime

import pytest

from canvalo_app.agents.domains.settings import agent
from canvalo_app.agents.formatting import plural
from canvalo_app.agents.tools import ToolContext
from tests.agent_helpers import (
    NEW_YORK,
    TODAY,
    agent_types,
    chat,
    profile_of,
    tool_calls,
    user_store,
)
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("how are my goals doing?", "goal_progress", {}),
        ("how are my goals going", "goal_progress", {}),
        ("how is the business doing overall?", "business_overview", {}),
        ("how's business last quarter?", "business_overview", {"period": "last_quarter"}),
        (
            "give me a business overview for October",
            "business_overview",
            {"start": "2026-10-01", "end": "2026-10-31"},
        ),
        ("set my hourly rate to $70", "update_business_profile", {"hourly_rate": 70.0}),
        ("change my tax rate to 7.5%", "update_business_profile", {"default_tax_rate": 7.5}),
        ("set payment terms to net 15", "update_business_profile", {"payment_terms_days": 15}),
        ("update my phone to 555-0199", "update_business_profile", {"phone": "555-0199"}),
        (
            "set my working hours from 7am to 4pm",
            "update_business_profile",
            {"working_hours_start": "07:00", "working_hours_end": "16:00"},
        ),
        (
            'change my business name to "Brightline Painting"',
            "update_business_profile",
            {"business_name": "Brightline Painting"},
        ),
        ("what's my business profile?", "get_business_profile", {}),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def new_clients(store, start: str, end: str) -> int:
    """Clients added from `start` to `end`, by the business's (New York's) day."""
    return sum(
        c["contact_type"] == "client"
        and start
        <= datetime.fromisoformat(c["created_at"]).astimezone(NEW_YORK).date().isoformat()
        <= end
        for c in store.list_records("contacts")
    )


def test_rules_goal_progress(ctx, stores):
    _, reply = drive(agent, "how are my goals going", ctx)
    paid = round(sum(p["amount"] for p in stores[0].list_records("payments")), 2)
    assert paid == 3675.0  # both demo payments fall in the goals' period
    added = new_clients(stores[0], "2026-10-09", "2027-01-07")
    ratings = [r["rating"] for r in stores[0].list_records("reviews")]
    rating = round(sum(ratings) / len(ratings), 2)
    rated = f"{rating:g} of 4.5 ({round(100 * rating / 4.5, 1)}%), {round(4.5 - rating, 2):g} to go"
    assert reply == (
        "You have 4 active goals, 0 on track:\n"
        "- Quarterly revenue: $3,675.00 of $15,000.00 (24.5%), $11,325.00 to go, 45 days "
        "left; behind pace (50.0% of the period has passed).\n"
        f"- New clients this quarter: {added} of 12 ({round(100 * added / 12, 1)}%), "
        f"{12 - added} to go, 45 days left; behind pace (50.0% of the period has passed).\n"
        f"- Keep a 4.5+ rating: {rated}; not reached yet.\n"
        "- Finish the Henderson repaint: 60 percent of 100 percent (60.0%), 40 percent to go, "
        "5 days left; not reached yet."
    )


def test_rules_business_overview(ctx, stores):
    steps, reply = drive(agent, "how is the business doing this quarter?", ctx)
    assert [(s.name, s.input) for s in steps] == [("business_overview", {"period": "this_quarter"})]
    store, in_q4 = stores[0], lambda day: "2026-10-01" <= (day or "")[:10] <= "2026-12-31"
    added = new_clients(store, "2026-10-01", "2026-12-31")
    jobs = sum(
        p["status"] == "completed" and in_q4(p["completed_on"])
        for p in store.list_records("projects")
    )
    won = sum(
        p["status"] == "accepted" and in_q4(p["accepted_at"])
        for p in store.list_records("proposals")
    )
    open_value = sum(
        p["total_amount"]
        for p in store.list_records("proposals")
        if p["status"] in ("sent", "viewed")
    )
    ratings = [r["rating"] for r in store.list_records("reviews") if in_q4(r["review_date"])]
    assert ratings, "the demo has reviews this quarter"
    rating = f"{round(sum(ratings) / len(ratings), 2):g} from {plural(len(ratings), 'review')}"
    assert reply == (
        "In Q4 2026 you invoiced $10,218.50 and collected $3,675.00; "
        f"{plural(added, 'new client')}, {plural(jobs, 'job')} completed, "
        f"{plural(won, 'proposal')} won, and an average rating of {rating}. Today clients owe "
        f"you $6,543.50 ($5,099.00 overdue), and open proposals are worth ${open_value:,.2f}."
    )


def test_rules_set_hourly_rate(ctx, stores):
    _, reply = drive(agent, "set my hourly rate to $70", ctx)
    assert profile_of(stores[0])["hourly_rate"] == 70
    assert reply == "Done. Your business profile now has hourly rate $70.00."


def test_rules_profile(ctx):
    _, reply = drive(agent, "what's my business profile?", ctx)
    assert reply.startswith("Brightline Painting Co.: owner Sam Rivera;")
    assert "hourly rate $65.00; default tax rate 7%; payment terms 30 days" in reply
    _, reply = drive(agent, "what's my hourly rate?", ctx)
    assert reply == "Brightline Painting Co.: hourly rate $65.00."


def test_rules_ask_when_a_value_is_missing(ctx, stores):
    steps, reply = drive(agent, "set my hourly rate", ctx)
    assert steps == [] and reply.startswith("What should the hourly rate be?")
    assert profile_of(stores[0])["hourly_rate"] == 65


def test_rules_with_no_goals_or_profile(app, users):
    store = user_store(app, users)
    ctx = ToolContext(store, TODAY)
    assert drive(agent, "how are my goals doing?", ctx)[1].startswith("You don't have any active")
    assert drive(agent, "what's my business profile?", ctx)[1].startswith("You haven't set up")


# End to end -------------------------------------------------------------------------------
@BOTH_STORES
def test_chat_goal_progress(client, users, live):
    evts, reply = chat(client, users, "how are my goals going")
    assert agent_types(evts) == ["settings"] and tool_calls(evts) == ["goal_progress"]
    assert reply.startswith("You have 4 active goals,")
    [revenue] = [g for g in live.list_records("goals") if g["metric"] == "revenue"]
    start, end = revenue["period_start"], revenue["period_end"]
    paid = sum(p["amount"] for p in live.list_records("payments") if start <= p["paid_on"] <= end)
    assert f"Quarterly revenue: ${paid:,.2f} of $15,000.00" in reply
    assert len([e for e in evts if e["type"] == "stat_data"]) == 4


@BOTH_STORES
def test_chat_how_is_the_business_doing(client, users, live):
    evts, reply = chat(client, users, "how is the business doing overall?")
    assert agent_types(evts) == ["settings"] and tool_calls(evts) == ["business_overview"]
    [collected] = [
        e for e in evts if e["type"] == "stat_data" and e["title"] == "Revenue collected"
    ]
    start, end = collected["period"]["start"], collected["period"]["end"]
    paid = sum(p["amount"] for p in live.list_records("payments") if start <= p["paid_on"] <= end)
    owed = [
        i
        for i in live.list_records("invoices")
        if i["status"] in ("sent", "viewed", "partial", "overdue")
    ]
    outstanding = sum(i["total_amount"] - i["amount_paid"] for i in owed)
    assert f"collected ${paid:,.2f};" in reply
    assert f"Today clients owe you ${outstanding:,.2f}" in reply


def test_chat_sets_the_hourly_rate(client, users, live):
    evts, reply = chat(client, users, "set my hourly rate to $70")
    assert agent_types(evts) == ["settings"] and tool_calls(evts) == ["update_business_profile"]
    assert profile_of(live)["hourly_rate"] == 70
    assert reply == "Done. Your business profile now has hourly rate $70.00."


def test_chat_business_profile(client, users, live):
    evts, reply = chat(client, users, "what's my business profile?")
    assert tool_calls(evts) == ["get_business_profile"]
    assert reply.startswith("Brightline Painting Co.: owner Sam Rivera;")
