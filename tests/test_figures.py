"""Business figures over a period (agents/figures.py), through the settings agent's
business_overview on the real store, on both stores: each figure is checked against one
worked out here from the stored rows."""

from __future__ import annotations

from datetime import datetime

from canvalo_app.agents.domains.settings import agent
from canvalo_app.agents.tools import execute
from tests.agent_helpers import NEW_YORK, TODAY
from tests.conftest import BOTH_STORES
from tests.helpers import send, stream_events
from tests.scripted_model import call, install, route, say


def cents(values) -> float:
    return round(sum(values), 2)


def local_day(instant: str) -> str:
    """The business's (New York's) day of a stored instant."""
    return datetime.fromisoformat(instant).astimezone(NEW_YORK).date().isoformat()


def test_business_overview_of_a_quarter(ctx, stores):
    store, (start, end) = stores[0], ("2026-10-01", "2026-12-31")
    result = execute(agent, "business_overview", {"period": "this_quarter"}, ctx).result
    invoices_ = store.list_records("invoices")
    billed = [
        i
        for i in invoices_
        if start <= i["issue_date"] <= end and i["status"] not in ("draft", "cancelled")
    ]
    owed = [i for i in invoices_ if i["status"] in ("sent", "viewed", "partial", "overdue")]
    late = [i for i in owed if i["status"] == "overdue" or i["due_date"] < TODAY.isoformat()]
    ratings = [
        r["rating"] for r in store.list_records("reviews") if start <= r["review_date"] <= end
    ]
    expected = {
        "revenue_invoiced": cents(i["total_amount"] for i in billed),
        "revenue_collected": cents(
            p["amount"] for p in store.list_records("payments") if start <= p["paid_on"] <= end
        ),
        "outstanding": cents(i["total_amount"] - i["amount_paid"] for i in owed),
        "overdue": cents(i["total_amount"] - i["amount_paid"] for i in late),
        "new_clients": sum(
            c["contact_type"] == "client" and start <= local_day(c["created_at"]) <= end
            for c in store.list_records("contacts")
        ),
        "jobs_completed": sum(
            p["status"] == "completed" and start <= (p["end_date"] or "") <= end
            for p in store.list_records("projects")
        ),
        "average_rating": round(sum(ratings) / len(ratings), 2),
        "review_count": len(ratings),
        "open_proposals_value": cents(
            p["total_amount"]
            for p in store.list_records("proposals")
            if p["status"] in ("sent", "viewed")
        ),
    }
    assert {key: result[key] for key in expected} == expected
    assert (expected["revenue_invoiced"], expected["outstanding"], expected["overdue"]) == (
        10218.5,
        6543.5,
        5099.0,
    )
    numbers = {
        s["title"]: s["values"][0]["value"] for s in result["stat_data"] if s["kind"] == "number"
    }
    assert numbers["Revenue collected"] == expected["revenue_collected"]
    assert numbers["Average rating"] == expected["average_rating"]
    [owed_split] = [s for s in result["stat_data"] if s["kind"] == "breakdown"]
    assert [v["value"] for v in owed_split["values"]] == [round(6543.5 - 5099.0, 2), 5099.0]


def test_business_overview_of_a_quiet_month_has_no_rating(ctx, stores):
    empty = execute(agent, "business_overview", {"start": "2020-01-01", "end": "2020-01-31"}, ctx)
    assert (empty.result["revenue_invoiced"], empty.result["average_rating"]) == (0, None)
    assert empty.result["outstanding"] == 6543.5, "what is owed is as of today"
    assert "Average rating" not in {s["title"] for s in empty.result["stat_data"]}


@BOTH_STORES
def test_business_overview_and_goals_through_a_scripted_chat(app, client, users, live):
    install(app, route("settings"), call("business_overview"), call("goal_progress"), say("Done."))
    evts = stream_events(send(client, users.a, "how is the business doing?"))
    stats = [e for e in evts if e["type"] == "stat_data"]
    overview = {e["title"]: e for e in stats if e["tool_name"] == "business_overview"}
    start, end = (
        overview["Revenue collected"]["period"]["start"],
        overview["Revenue collected"]["period"]["end"],
    )
    paid = cents(p["amount"] for p in live.list_records("payments") if start <= p["paid_on"] <= end)
    assert overview["Revenue collected"]["values"][0]["value"] == paid
    owed = [
        i
        for i in live.list_records("invoices")
        if i["status"] in ("sent", "viewed", "partial", "overdue")
    ]
    assert overview["Outstanding"]["values"][0]["value"] == cents(
        i["total_amount"] - i["amount_paid"] for i in owed
    )
    assert overview["Outstanding"]["period"] is None, "as of today"
    goals = [e["title"] for e in stats if e["tool_name"] == "goal_progress"]
    assert goals == [g["title"] for g in live.list_records("goals")]
