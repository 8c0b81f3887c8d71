"""The reviews agent: its tools on the real store. The offline model's rules for it, and chats
it answers end to end, are tested in test_devmodel_reviews.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from canvalo_app.agents.domains.reviews import agent
from canvalo_app.agents.tools import ToolContext, execute
from tests.agent_helpers import (
    TODAY,
    refused,
    review_of,
    user_store,
)
from tests.conftest import USER_A, USER_B


def test_review_stats_are_exact(ctx):
    result = execute(agent, "review_stats", {}, ctx).result
    assert result["average_rating"] == 4.25 and result["count"] == 4
    assert result["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 2}
    assert result["by_platform"] == {
        "google": {"count": 2, "average_rating": 4.0},
        "houzz": {"count": 1, "average_rating": 5.0},
        "yelp": {"count": 1, "average_rating": 4.0},
    }
    assert result["unanswered"] == 3
    assert result["summary"] == "Average rating 4.25 from 4 reviews; 3 without a reply"
    google = execute(agent, "review_stats", {"platform": "google"}, ctx).result
    assert (google["average_rating"], google["count"], google["unanswered"]) == (4.0, 2, 2)


def test_review_stats_with_no_reviews(app, users):
    store = user_store(app, users)
    result = execute(agent, "review_stats", {}, ToolContext(store, TODAY)).result
    assert result["count"] == 0 and result["average_rating"] is None
    assert result["summary"] == "No reviews yet"


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"platform": "google"}, {"Grace Kim", "Mark Ellis"}),
        ({"min_rating": 4}, {"Grace Kim", "Alan Cho", "Rita Gomez"}),
        ({"max_rating": 3}, {"Mark Ellis"}),
        ({"unanswered_only": True}, {"Grace Kim", "Alan Cho", "Mark Ellis"}),
        ({"unanswered_only": True, "platform": "google", "min_rating": 5}, {"Grace Kim"}),
        ({"search": "paint cans"}, {"Mark Ellis"}),
        ({"search": "rita"}, {"Rita Gomez"}),
    ],
)
def test_list_filters(ctx, args, names):
    result = execute(agent, "list_reviews", args, ctx).result
    assert {r["reviewer_name"] for r in result["reviews"]} == names
    assert result["total"] == len(names)


def test_draft_uses_the_review_and_business_but_saves_nothing(ctx, stores):
    mark = review_of(stores[0], "Mark Ellis")
    result = execute(agent, "draft_review_response", {"id": mark["id"]}, ctx).result
    assert result["saved"] is False
    assert result["draft"].startswith("Thank you for sharing this, Mark.")
    assert "paint cans on the porch" in result["draft"] and "555-0142" in result["draft"]
    assert result["draft"].endswith("— Brightline Painting Co.")
    assert review_of(stores[0], "Mark Ellis")["response"] is None
    grace = review_of(stores[0], "Grace Kim")
    draft = execute(agent, "draft_review_response", {"id": grace["id"]}, ctx).result["draft"]
    assert "Grace" in draft and "5-star" in draft and "sorry" not in draft


def test_save_review_response(ctx, stores):
    alan = review_of(stores[0], "Alan Cho")
    outcome = execute(agent, "save_review_response", {"id": alan["id"], "response": "Thanks!"}, ctx)
    assert outcome.status == "ok" and outcome.summary == (
        "Saved the reply to the 4-star review from Alan Cho"
    )
    row = stores[0].get_record("reviews", alan["id"])
    assert row["response"] == "Thanks!"
    assert datetime.now(UTC) - datetime.fromisoformat(row["responded_at"]) < timedelta(minutes=1)
    assert execute(agent, "review_stats", {}, ctx).result["unanswered"] == 2


def test_delete_waits_for_confirmation(ctx, stores):
    mark = review_of(stores[0], "Mark Ellis")
    outcome = execute(agent, "delete_review", {"id": mark["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Delete the 3-star review from Mark Ellis"
    assert stores[0].get_action(outcome.action["id"])["status"] == "pending"
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
        ("list_reviews", {"min_rating": 0}),
        ("list_reviews", {"user_id": USER_B}),
        ("review_stats", {"platform": "tiktok"}),
        ("save_review_response", {"id": "not-a-uuid", "response": "Hi"}),
        ("save_review_response", {"response": "Hi"}),
        ("update_review", {"rating": 4}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("reviews") == 4


def test_another_users_reviews_are_out_of_reach(ctx, stores):
    theirs = review_of(stores[1], "Mark Ellis")
    listed = execute(agent, "list_reviews", {"limit": 100}, ctx).result["reviews"]
    assert {r["user_id"] for r in listed} == {USER_A}
    assert execute(agent, "review_stats", {}, ctx).result["count"] == 4
    for tool, extra in [
        ("get_review", {}),
        ("draft_review_response", {}),
        ("save_review_response", {"response": "hijacked"}),
        ("update_review", {"rating": 1}),
        ("delete_review", {}),
    ]:
        assert refused(execute(agent, tool, {"id": theirs["id"], **extra}, ctx)), tool
    assert stores[1].get_record("reviews", theirs["id"]) == theirs
