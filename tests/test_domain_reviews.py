"""The reviews agent: its tools on the real store, and through the chat with a scripted model
on both stores. Expected figures are computed here from the seeded rows. The offline model's
rules for it, and chats it answers end to end, are tested in test_devmodel_reviews.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from canvalo_app.agents.context import today_for
from canvalo_app.agents.domains.projects import agent as projects_agent
from canvalo_app.agents.domains.reviews import agent
from canvalo_app.agents.tools import ToolContext, execute
from tests.agent_helpers import TODAY, project, refused, review_of, user_store
from tests.conftest import BOTH_STORES, USER_A, USER_B
from tests.helpers import send, stream_events
from tests.scripted_model import call, install, route, say


# Figures computed from rows, independently of the tools -----------------------------------
def average(rows: list[dict]) -> float | None:
    return round(sum(row["rating"] for row in rows) / len(rows), 2) if rows else None


def figures(rows: list[dict]) -> dict:
    """Count, average and stars as review_stats reports them."""
    stars = {str(n): sum(row["rating"] == n for row in rows) for n in range(1, 6)}
    return {"count": len(rows), "average_rating": average(rows), "distribution": stars}


def moods(rows: list[dict]) -> dict:
    ratings = [row["rating"] for row in rows]
    return {
        "positive": sum(rating >= 4 for rating in ratings),
        "neutral": sum(rating == 3 for rating in ratings),
        "negative": sum(rating <= 2 for rating in ratings),
    }


def grouped(rows: list[dict], keys: list[str]) -> list[dict]:
    """Each month ("YYYY-MM") of `keys` as review_trend reports it."""
    months = [(key, [row for row in rows if row["review_date"].startswith(key)]) for key in keys]
    return [
        {"month": key, "label": f"{datetime.strptime(key, '%Y-%m'):%b %Y}"}
        | {"count": len(month), "average_rating": average(month), **moods(month)}
        for key, month in months
    ]


def dated(rows: list[dict], first: str, last: str) -> list[dict]:
    return [row for row in rows if first <= row["review_date"][:10] <= last]


def month_keys(today: date, count: int) -> list[str]:
    """ "YYYY-MM" of the `count` months up to today's."""
    keys, year, month = [], today.year, today.month
    for _ in range(count):
        keys.insert(0, f"{year}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return keys


def values(stat: dict) -> dict:
    return {value["label"]: value["value"] for value in stat["values"]}


def reported(result: dict) -> dict:
    return {key: result[key] for key in ("count", "average_rating", "distribution")}


# Tools ------------------------------------------------------------------------------------
def test_review_stats_are_exact(ctx, stores):
    rows = stores[0].list_records("reviews", limit=100)
    result = execute(agent, "review_stats", {}, ctx).result
    assert reported(result) == figures(rows) and (result["count"], result["average_rating"]) == (
        8,
        4.25,
    )
    google = [row for row in rows if row["platform"] == "google"]
    assert result["by_platform"]["google"] == {"count": 4, "average_rating": average(google)}
    assert result["unanswered"] == sum(1 for row in rows if not row["response"]) == 5
    assert result["summary"] == "Average rating 4.25 from 8 reviews; 5 without a reply"
    google = execute(agent, "review_stats", {"platform": "google"}, ctx).result
    assert (google["average_rating"], google["count"], google["unanswered"]) == (4.5, 4, 4)


@pytest.mark.parametrize(
    ("args", "first", "last"),
    [
        ({"period": "this_year"}, "2026-01-01", "2026-12-31"),
        ({"period": "last_quarter"}, "2026-07-01", "2026-09-30"),
        ({"period": "last_30_days"}, "2026-10-25", "2026-11-23"),
        ({"start": "2026-08-01", "end": "2026-10-31"}, "2026-08-01", "2026-10-31"),
    ],
)
def test_review_stats_for_a_period(ctx, stores, args, first, last):
    rows = dated(stores[0].list_records("reviews", limit=100), first, last)
    result = execute(agent, "review_stats", args, ctx).result
    assert reported(result) == figures(rows)
    assert (result["period"]["start"], result["period"]["end"]) == (first, last)
    mean, count, stars = result["stat_data"]
    assert (mean["kind"], values(mean)) == ("number", {"Average rating": average(rows)})
    assert (count["kind"], values(count)) == ("number", {"Reviews": len(rows)})
    assert stars["kind"] == "breakdown" and stars["period"] == result["period"]
    assert values(stars) == {
        f"{n} stars": figures(rows)["distribution"][str(n)] for n in range(1, 6)
    }


def test_a_years_average_leaves_out_other_years(ctx):
    year = execute(agent, "review_stats", {"period": "this_year"}, ctx).result
    assert (year["count"], year["average_rating"]) == (7, 4.14)  # Grace Kim's is from 2025
    assert year["summary"] == "2026: Average rating 4.14 from 7 reviews; 4 without a reply"
    empty = execute(agent, "review_stats", {"start": "2020-01-01", "end": "2020-12-31"}, ctx)
    assert empty.result["count"] == 0 and empty.result["average_rating"] is None
    assert empty.result["summary"] == "2020-01-01 to 2020-12-31: No reviews"


def test_review_trend_by_month(ctx, stores):
    rows = stores[0].list_records("reviews", limit=100)
    result = execute(agent, "review_trend", {}, ctx).result
    months = grouped(rows, ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"])
    assert result["months"] == months and months[1]["negative"] == 1
    in_span = dated(rows, "2026-06-01", "2026-11-23")
    assert result["totals"] == {"count": 7, "average_rating": average(in_span), **moods(in_span)}
    averages, counts, feelings = result["stat_data"]
    assert averages["kind"] == counts["kind"] == "series" and feelings["kind"] == "breakdown"
    assert values(averages) == {month["label"]: month["average_rating"] for month in months}
    assert values(counts) == {month["label"]: month["count"] for month in months}
    assert values(feelings) == moods(in_span)
    year = execute(agent, "review_trend", {"period": "this_year"}, ctx).result
    assert year["months"] == grouped(rows, [f"2026-{n:02d}" for n in range(1, 12)])


def expected_requests(store, today: date, days: int) -> list[tuple[str, str, str]]:
    """(client, project, completed on) of each project completed in the last `days` days whose
    client has no review of it: none naming the project, none by name since it started."""
    reviews = store.list_records("reviews", limit=100)
    out = []
    for p in store.list_records("projects", limit=100):
        ended = p["completed_on"]
        if p["status"] != "completed" or not ended:
            continue
        if not (today - timedelta(days=days)).isoformat() <= ended <= today.isoformat():
            continue
        if any(
            r["project_id"] == p["id"]
            or (r["reviewer_name"] == p["client_name"] and r["review_date"] >= p["start_date"])
            for r in reviews
        ):
            continue
        out.append((p["client_name"], p["name"], ended))
    return out


def asked(result: dict) -> list[tuple[str, str, str]]:
    return [(r["client_name"], r["project_name"], r["completed_on"]) for r in result["clients"]]


def test_clients_to_ask_for_review(ctx, stores):
    result = execute(agent, "clients_to_ask_for_review", {}, ctx).result
    assert asked(result) == expected_requests(stores[0], TODAY, 60)
    [grace] = result["clients"]
    deck = project(stores[0], "Kim deck")
    assert (grace["client_name"], grace["project_id"], grace["days_since"]) == (
        "Grace Kim",
        deck["id"],
        52,
    )
    assert grace["email"] == "grace.kim@example.com"
    assert execute(agent, "clients_to_ask_for_review", {"days": 30}, ctx).result["clients"] == []
    earlier = {"reviewer_name": "Grace Kim", "rating": 4, "review_date": "2026-09-01"}
    execute(agent, "create_review", earlier, ctx)  # before the deck job started: not about it
    assert asked(execute(agent, "clients_to_ask_for_review", {}, ctx).result) == [
        ("Grace Kim", "Kim deck staining", deck["completed_on"])
    ]
    about = {"reviewer_name": "G. Kim", "rating": 5, "review_date": "2026-11-20"}
    execute(agent, "create_review", {**about, "project_id": deck["id"]}, ctx)
    assert execute(agent, "clients_to_ask_for_review", {}, ctx).result["clients"] == []
    assert expected_requests(stores[0], TODAY, 60) == []


@BOTH_STORES
def test_clients_to_ask_are_of_projects_completed_lately_whatever_their_planned_end(ctx, stores):
    store, earlier = stores[0], ToolContext(stores[0], TODAY - timedelta(days=2))
    for word, planned, when in (("Henderson", "2026-08-01", earlier), ("Lopez", None, ctx)):
        row = project(store, word)
        store.update_record("projects", row["id"], {"start_date": None, "end_date": planned})
        execute(projects_agent, "update_project", {"id": row["id"], "status": "completed"}, when)
    result = execute(agent, "clients_to_ask_for_review", {"days": 30}, ctx).result
    assert [(c["project_name"], c["completed_on"], c["days_since"]) for c in result["clients"]] == [
        ("Lopez kitchen cabinets", "2026-11-23", 0),
        ("Henderson exterior repaint", "2026-11-21", 2),
    ]
    # Without a start date, a review by the client since the job was completed is of it.
    review = {"reviewer_name": "Maria Lopez", "rating": 5, "review_date": "2026-11-23"}
    execute(agent, "create_review", review, ctx)
    left = execute(agent, "clients_to_ask_for_review", {"days": 30}, ctx).result["clients"]
    assert [c["client_name"] for c in left] == ["Tom Henderson"]


def test_a_draft_is_kept_and_saved_when_no_text_is_given(ctx, stores):
    mark = review_of(stores[0], "Mark Ellis")
    result = execute(agent, "draft_review_response", {"id": mark["id"]}, ctx).result
    assert result["saved"] is False
    assert result["draft"].startswith("Thank you for sharing this, Mark.")
    assert "paint cans on the porch" in result["draft"] and "555-0142" in result["draft"]
    assert result["draft"].endswith("— Brightline Painting Co.")
    kept = review_of(stores[0], "Mark Ellis")
    assert (kept["response"], kept["draft_response"]) == (None, result["draft"])
    drafted = execute(agent, "list_reviews", {"drafted_only": True}, ctx).result["reviews"]
    assert [review["id"] for review in drafted] == [mark["id"]]
    outcome = execute(agent, "save_review_response", {"id": mark["id"]}, ctx)
    assert outcome.status == "ok"
    saved = review_of(stores[0], "Mark Ellis")
    assert (saved["response"], saved["draft_response"]) == (result["draft"], None)
    again = execute(agent, "save_review_response", {"id": mark["id"]}, ctx)
    assert refused(again) and again.result["error"] == (
        "There is no drafted reply to the 3-star review from Mark Ellis: draft one first, or "
        "give the text."
    )
    grace = review_of(stores[0], "Grace Kim")
    draft = execute(agent, "draft_review_response", {"id": grace["id"]}, ctx).result["draft"]
    assert "Grace" in draft and "5-star" in draft and "sorry" not in draft


def test_save_review_response(ctx, stores):
    alan = review_of(stores[0], "Alan Cho")
    execute(agent, "draft_review_response", {"id": alan["id"]}, ctx)
    outcome = execute(agent, "save_review_response", {"id": alan["id"], "response": "Thanks!"}, ctx)
    assert outcome.status == "ok" and outcome.summary == (
        "Saved the reply to the 4-star review from Alan Cho"
    )
    row = stores[0].get_record("reviews", alan["id"])
    assert (row["response"], row["draft_response"]) == ("Thanks!", None)
    assert datetime.now(UTC) - datetime.fromisoformat(row["responded_at"]) < timedelta(minutes=1)
    assert execute(agent, "review_stats", {}, ctx).result["unanswered"] == 4


def test_review_stats_with_no_reviews(app, users):
    store = user_store(app, users)
    result = execute(agent, "review_stats", {}, ToolContext(store, TODAY)).result
    assert result["count"] == 0 and result["average_rating"] is None
    assert result["summary"] == "No reviews yet"
    trend = execute(agent, "review_trend", {}, ToolContext(store, TODAY)).result
    assert [m["count"] for m in trend["months"]] == [0] * 6


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"platform": "google"}, {"Grace Kim", "Mark Ellis", "Sofia Reyes", "Omar Haddad"}),
        ({"max_rating": 3}, {"Mark Ellis", "Ben Carter"}),
        ({"min_rating": 4, "platform": "yelp"}, {"Alan Cho"}),
        (
            {"unanswered_only": True},
            {"Grace Kim", "Sofia Reyes", "Omar Haddad", "Alan Cho", "Mark Ellis"},
        ),
        (
            {"unanswered_only": True, "platform": "google", "min_rating": 5},
            {"Grace Kim", "Sofia Reyes", "Omar Haddad"},
        ),
        ({"search": "rita"}, {"Rita Gomez"}),
        ({"unanswered_only": True, "platform": "yelp"}, {"Alan Cho"}),
        ({"search": "paint cans"}, {"Mark Ellis"}),
        ({"drafted_only": True}, set()),
    ],
)
def test_list_filters(ctx, args, names):
    result = execute(agent, "list_reviews", args, ctx).result
    assert {r["reviewer_name"] for r in result["reviews"]} == names
    assert result["total"] == len(names)


def test_delete_waits_for_confirmation(ctx, stores):
    mark = review_of(stores[0], "Mark Ellis")
    outcome = execute(agent, "delete_review", {"id": mark["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Delete the 3-star review from Mark Ellis"
    assert stores[0].get_record("reviews", mark["id"]) is not None


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_review", {"reviewer_name": "A", "rating": 6, "review_date": "2026-11-01"}),
        ("create_review", {"reviewer_name": "A", "rating": "five", "review_date": "2026-11-01"}),
        ("create_review", {"reviewer_name": "A", "rating": 5}),
        ("create_review", {"reviewer_name": "x" * 201, "rating": 5, "review_date": "2026-11-01"}),
        (
            "create_review",
            {"reviewer_name": "A", "rating": 5, "review_date": "2026-11-01", "platform": "myspace"},
        ),
        (
            "create_review",
            {"reviewer_name": "A", "rating": 5, "review_date": "2026-11-01", "user_id": USER_B},
        ),
        (
            "create_review",
            {
                "reviewer_name": "A",
                "rating": 5,
                "review_date": "2026-11-01",
                "draft_response": "Hi",
            },
        ),
        ("list_reviews", {"min_rating": 0}),
        ("list_reviews", {"user_id": USER_B}),
        ("review_stats", {"platform": "tiktok"}),
        ("review_stats", {"period": "fortnight"}),
        ("review_stats", {"period": "this_year", "start": "2026-01-01"}),
        ("review_trend", {"start": "2026-05-01", "end": "2026-01-01"}),
        ("clients_to_ask_for_review", {"days": -1}),
        ("clients_to_ask_for_review", {"days": "many"}),
        ("save_review_response", {"id": "not-a-uuid", "response": "Hi"}),
        ("save_review_response", {"response": "Hi"}),
        ("update_review", {"rating": 4}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("reviews") == 8


def test_another_users_reviews_are_out_of_reach(ctx, stores):
    theirs = review_of(stores[1], "Mark Ellis")
    listed = execute(agent, "list_reviews", {"limit": 100}, ctx).result["reviews"]
    assert {r["user_id"] for r in listed} == {USER_A}
    assert execute(agent, "review_stats", {}, ctx).result["count"] == 8
    for tool, extra in [
        ("get_review", {}),
        ("draft_review_response", {}),
        ("save_review_response", {"response": "hijacked"}),
        ("update_review", {"rating": 1}),
        ("delete_review", {}),
    ]:
        assert refused(execute(agent, tool, {"id": theirs["id"], **extra}, ctx)), tool
    assert stores[1].get_record("reviews", theirs["id"]) == theirs


# Through the chat, with a scripted model, on both stores ------------------------------------
def scripted(app, client, users, tool: str, conversation: str | None = None, **args):
    """A turn whose model has the reviews agent call `tool`: its events and the result."""
    model = install(app, route("reviews"), call(tool, **args), say("Done."))
    more = {"conversation_id": conversation} if conversation else {}
    evts = stream_events(send(client, users.a, "do it", **more))
    given = model.requests[-1].messages[-1]["content"][0]["toolResult"]["content"][0]["json"]
    return evts, given["result"]


def charts(evts: list[dict]) -> list[dict]:
    return [e for e in evts if e["type"] == "stat_data"]


@BOTH_STORES
def test_chat_period_average_and_trend(app, client, users, live):
    today = today_for({"timezone": "America/New_York"})
    rows = live.list_records("reviews", limit=100)
    evts, result = scripted(app, client, users, "review_stats", period="this_year")
    year = dated(rows, f"{today.year}-01-01", f"{today.year}-12-31")
    assert reported(result) == figures(year)
    assert [(c["tool_name"], c["kind"]) for c in charts(evts)] == [
        ("review_stats", "number"),
        ("review_stats", "number"),
        ("review_stats", "breakdown"),
    ]
    assert charts(evts)[0]["values"][0]["value"] == figures(year)["average_rating"]
    evts, result = scripted(app, client, users, "review_trend")
    months = grouped(rows, month_keys(today, 6))
    assert result["months"] == months
    assert values(charts(evts)[1]) == {month["label"]: month["count"] for month in months}


@BOTH_STORES
def test_chat_clients_to_ask_and_saving_a_draft(app, client, users, live):
    today = today_for({"timezone": "America/New_York"})
    _, result = scripted(app, client, users, "clients_to_ask_for_review")
    assert asked(result) == expected_requests(live, today, 60) != []
    mark = review_of(live, "Mark Ellis")
    evts, drafted = scripted(app, client, users, "draft_review_response", id=mark["id"])
    conversation = evts[0]["conversation_id"]
    assert review_of(live, "Mark Ellis")["response"] is None
    _, saved = scripted(
        app, client, users, "save_review_response", conversation=conversation, id=mark["id"]
    )
    assert saved["review"]["response"] == drafted["draft"]
    assert review_of(live, "Mark Ellis")["response"] == drafted["draft"]
