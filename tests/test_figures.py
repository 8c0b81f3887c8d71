"""Business figures over a period (agents/figures.py), through the settings agent's
business_overview, on both stores: a small business written here row by row, and the figures
it must give, worked out by hand. The business is in New York; today is 15 October 2026."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from canvalo_app.agents.domains.crud import ALL_ROWS
from canvalo_app.agents.domains.projects import agent as projects_agent
from canvalo_app.agents.domains.proposals import agent as proposals_agent
from canvalo_app.agents.domains.settings import agent
from canvalo_app.agents.tools import ToolContext, execute
from canvalo_app.store.base import Filter
from tests.agent_helpers import NEW_YORK, user_store
from tests.conftest import BOTH_STORES, USER_A
from tests.helpers import send, stream_events
from tests.scripted_model import call, install, route, say

pytestmark = BOTH_STORES

TODAY = date(2026, 10, 15)
Q3 = {"start": "2026-07-01", "end": "2026-09-30"}
JANUARY = "2026-01-05T15:00:00+00:00"

# fmt: off
#: number, issued, due, status, total, paid: each payment's day is in PAYMENTS.
INVOICES = [
    ("INV-1", "2026-07-01", "2026-07-31", "partial", 1000.0, 400.0),   # Q3's first day
    ("INV-2", "2026-09-30", "2026-10-30", "paid", 500.0, 500.0),       # Q3's last day
    ("INV-3", "2026-08-15", "2026-09-14", "draft", 250.0, 0.0),        # bills nobody yet
    ("INV-4", "2026-08-20", "2026-09-19", "cancelled", 300.0, 0.0),    # bills nobody now
    ("INV-5", "2026-06-30", "2026-07-30", "sent", 700.0, 0.0),         # Q2, owed, overdue
    ("INV-6", "2026-10-02", "2026-11-01", "sent", 200.0, 0.0),         # October, not yet due
]
PAYMENTS = [("INV-1", 400.0, "2026-09-30"), ("INV-2", 500.0, "2026-10-01")]
#: first name, type, created (UTC): New York is four hours behind in summer and autumn.
CONTACTS = [
    ("Ann", "client", "2026-07-01T04:30:00+00:00"),  # 1 July, 00:30 in New York
    ("Ben", "client", "2026-07-01T03:30:00+00:00"),  # 30 June, 23:30 in New York
    ("Cal", "client", "2026-10-01T02:00:00+00:00"),  # 30 September, 22:00 in New York
    ("Dee", "lead", "2026-08-01T12:00:00+00:00"),    # not a client
]
REVIEWS = [("2026-07-01", 5), ("2026-09-30", 4), ("2026-10-01", 1)]
PROPOSALS = [("PRO-1", "sent", 800.0), ("PRO-2", "draft", 300.0)]
# fmt: on


def write_books(store) -> None:
    """The business's rows, written as a user's tools would find them."""
    store.create_record(
        "business_settings", {"business_name": "Ridge Painting", "timezone": "America/New_York"}
    )
    ids = {}
    for number, issued, due, status, total, paid in INVOICES:
        ids[number] = store.create_record(
            "invoices",
            {
                "invoice_number": number,
                "client_name": "Client",
                "issue_date": issued,
                "due_date": due,
                "status": status,
                "subtotal": total,
                "total_amount": total,
                "amount_paid": paid,
            },
        )["id"]
    for number, amount, day in PAYMENTS:
        store.create_record(
            "payments", {"invoice_id": ids[number], "amount": amount, "paid_on": day}
        )
    for name, kind, created in CONTACTS:
        store.create_record(
            "contacts", {"first_name": name, "contact_type": kind, "created_at": created}
        )
    for day, rating in REVIEWS:
        store.create_record("reviews", {"reviewer_name": "R", "rating": rating, "review_date": day})
    for number, status, total in PROPOSALS:
        store.create_record(
            "proposals",
            {
                "proposal_number": number,
                "title": "Work",
                "client_name": "Client",
                "status": status,
                "total_amount": total,
            },
        )


@pytest.fixture
def books(app, users) -> ToolContext:
    store = user_store(app, users)
    write_books(store)
    return ToolContext(store, TODAY, zone=NEW_YORK)


def overview(ctx: ToolContext, period: dict) -> dict:
    outcome = execute(agent, "business_overview", period, ctx)
    assert outcome.status == "ok", outcome.result
    return outcome.result


#: What is owed today, whatever the period: INV-1's $600, INV-5's $700 (both overdue) and
#: INV-6's $200; and the one open proposal.
TODAYS = {"outstanding": 1500.0, "overdue": 1300.0, "open_proposals_value": 800.0}
NOTHING_WON = {"jobs_completed": 0, "proposals_won": 0}  # no projects, nothing accepted


#: The figures of a period, in this order.
OF_PERIOD = (
    "revenue_invoiced",
    "revenue_collected",
    "new_clients",
    "average_rating",
    "review_count",
)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # INV-1 and INV-2; the payment of 30 September; Ann and Cal; 5 and 4 stars
        ({"period": "last_quarter"}, (1500.0, 400.0, 2, 4.5, 2)),
        # Cal joined on 30 September in New York, though it was 1 October in UTC
        ({"start": "2026-09-01", "end": "2026-09-30"}, (500.0, 400.0, 1, 4.0, 1)),
        # INV-6; the payment of 1 October; nobody new; one 1-star review
        ({"period": "this_month"}, (200.0, 500.0, 0, 1.0, 1)),
        # the second quarter: INV-5 and Ben; no payments, no reviews
        ({"start": "2026-04-01", "end": "2026-06-30"}, (700.0, 0, 1, None, 0)),
    ],
)
def test_business_overview_of_a_period(books, period, expected):
    result = overview(books, period)
    pinned = {**dict(zip(OF_PERIOD, expected, strict=True)), **TODAYS, **NOTHING_WON}
    assert {key: result[key] for key in pinned} == pinned


def test_the_figures_charted_are_the_figures_computed(books):
    result = overview(books, {"period": "last_quarter"})
    numbers = {s["title"]: s for s in result["stat_data"] if s["kind"] == "number"}
    assert numbers["Revenue collected"]["values"][0]["value"] == 400.0
    assert numbers["New clients"]["values"][0]["value"] == 2
    assert numbers["Revenue collected"]["period"] == {
        "label": "Q3 2026",
        "start": "2026-07-01",
        "end": "2026-09-30",
    }
    assert numbers["Outstanding"]["period"] is None, "as of today"
    [owed] = [s for s in result["stat_data"] if s["kind"] == "breakdown"]
    assert [(v["label"], v["value"]) for v in owed["values"]] == [
        ("Not yet due", 200.0),
        ("Overdue", 1300.0),
    ]
    quiet = overview(books, {"start": "2020-01-01", "end": "2020-01-31"})
    assert "Average rating" not in {s["title"] for s in quiet["stat_data"]}


def test_clients_long_before_the_period_leave_its_figures_alone(request, store_backend, books):
    """More clients than one read of a table holds, all added in January: the quarter's new
    clients are read by the days around it, not picked out of the oldest rows."""
    if store_backend == "supabase":
        request.getfixturevalue("pgstack").psql(
            "insert into api.contacts (user_id, first_name, contact_type, created_at) "
            f"select '{USER_A}', 'Old', 'client', '{JANUARY}' from generate_series(1, {ALL_ROWS})"
        )
    else:
        rows = [(str(uuid4()), USER_A, "Old", "client", JANUARY, JANUARY) for _ in range(ALL_ROWS)]
        request.getfixturevalue("app").extensions["store"].transaction(
            lambda conn: conn.executemany(
                "INSERT INTO contacts (id, user_id, first_name, contact_type, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        )
    assert overview(books, {"period": "last_quarter"})["new_clients"] == 2
    assert overview(books, {"start": "2026-01-01", "end": "2026-01-31"})["new_clients"] == ALL_ROWS


def test_business_overview_through_a_scripted_chat(app, client, users, books):
    install(app, route("settings"), call("business_overview", **Q3), say("Done."))
    evts = stream_events(send(client, users.a, "how was the third quarter?"))
    stats = {e["title"]: e for e in evts if e["type"] == "stat_data"}
    figures = {title: stat["values"][0]["value"] for title, stat in stats.items()}
    assert (figures["Revenue invoiced"], figures["Revenue collected"]) == (1500.0, 400.0)
    assert (figures["New clients"], figures["Average rating"]) == (2, 4.5)
    assert stats["Revenue invoiced"]["period"]["label"] == "2026-07-01 to 2026-09-30"


def test_jobs_completed_count_by_the_day_finished_not_the_planned_end(books):
    # Planned to end in September, finished today (15 October); and one with no planned end.
    late = {"name": "Porch", "start_date": "2026-09-01", "end_date": "2026-09-20"}
    jobs = [
        execute(projects_agent, "create_project", job, books) for job in (late, {"name": "Deck"})
    ]
    for job in jobs:
        done = {"id": job.result["project"]["id"], "status": "completed"}
        execute(projects_agent, "update_project", done, books)
    assert overview(books, {"period": "this_month"})["jobs_completed"] == 2
    assert overview(books, {"start": "2026-09-01", "end": "2026-09-30"})["jobs_completed"] == 0
    reopened = {"id": jobs[1].result["project"]["id"], "status": "in_progress"}
    execute(projects_agent, "update_project", reopened, books)
    assert overview(books, {"period": "this_month"})["jobs_completed"] == 1


def test_proposals_won_count_by_the_business_day_of_acceptance(books):
    store = books.store
    [sent] = store.list_records("proposals", filters=[Filter("proposal_number", "eq", "PRO-1")])
    execute(proposals_agent, "update_proposal", {"id": sent["id"], "status": "accepted"}, books)
    # Accepted at 22:30 on 30 September in New York: 1 October in UTC.
    store.update_record("proposals", sent["id"], {"accepted_at": "2026-10-01T02:30:00+00:00"})
    edited = {"id": sent["id"], "notes": "Second coat on the railings."}
    execute(proposals_agent, "update_proposal", edited, books)
    assert overview(books, {"start": "2026-09-01", "end": "2026-09-30"})["proposals_won"] == 1
    assert overview(books, {"period": "this_month"})["proposals_won"] == 0
    assert overview(books, {"start": "2026-12-01", "end": "2026-12-31"})["proposals_won"] == 0
    execute(proposals_agent, "update_proposal", {"id": sent["id"], "status": "rejected"}, books)
    assert overview(books, {"start": "2026-09-01", "end": "2026-09-30"})["proposals_won"] == 0
