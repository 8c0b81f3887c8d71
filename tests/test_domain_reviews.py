"""The reviews agent: its tools on the real store, its offline rules, and the chat end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from canvalo_app.agents.domains.reviews import agent
from canvalo_app.agents.tools import ToolContext, execute
from tests.agent_helpers import (
    TODAY,
    agent_types,
    chat,
    drive,
    first_calls,
    refused,
    tool_calls,
    user_store,
)
from tests.conftest import USER_A, USER_B


# Tools ------------------------------------------------------------------------------------
def review_of(store, name: str) -> dict:
    return next(r for r in store.list_records("reviews") if r["reviewer_name"] == name)


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


# Offline rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("what's my average review rating?", "review_stats", {}),
        ("review stats for Google", "review_stats", {"platform": "google"}),
        ("show my unanswered reviews", "list_reviews", {"limit": 10, "unanswered_only": True}),
        ("show my 5-star reviews", "list_reviews", {"limit": 10, "min_rating": 5, "max_rating": 5}),
        (
            "any bad reviews on Yelp?",
            "list_reviews",
            {"limit": 10, "platform": "yelp", "max_rating": 3},
        ),
        (
            "draft a reply to Mark Ellis's review",
            "list_reviews",
            {"search": "Mark Ellis", "limit": 5},
        ),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


def test_rules_average_rating(ctx):
    steps, reply = drive(agent, "what's my average review rating?", ctx)
    assert [s.name for s in steps] == ["review_stats"]
    assert reply.startswith("Your average rating is 4.25 from 4 reviews (5 stars: 2, 4 stars: 1")
    assert "3 reviews are waiting for a reply." in reply


def test_rules_unanswered_reviews(ctx):
    steps, reply = drive(agent, "show my unanswered reviews", ctx)
    assert reply.startswith("I found 3 reviews without a reply:")
    assert "Mark Ellis" in reply and "Alan Cho" in reply and "Rita Gomez" not in reply


def test_rules_draft_a_reply(ctx, stores):
    steps, reply = drive(agent, "draft a reply to Mark Ellis's review", ctx)
    mark = review_of(stores[0], "Mark Ellis")
    assert [(s.name, s.status) for s in steps] == [
        ("list_reviews", "ok"),
        ("draft_review_response", "ok"),
    ]
    assert steps[1].input == {"id": mark["id"]}
    assert reply.startswith("Here's a draft reply to Mark Ellis's 3-star Google review:")
    assert steps[1].result["draft"] in reply and "It isn't saved." in reply
    assert review_of(stores[0], "Mark Ellis")["response"] is None


def test_rules_save_a_quoted_reply(ctx, stores):
    steps, reply = drive(agent, 'reply to Alan Cho\'s review with "Thanks, Alan!"', ctx)
    assert steps[-1].name == "save_review_response"
    assert review_of(stores[0], "Alan Cho")["response"] == "Thanks, Alan!"
    assert reply == "Saved your reply to Alan Cho's review: “Thanks, Alan!”"


def test_rules_say_plainly_when_nothing_matches(ctx):
    steps, reply = drive(agent, "draft a reply to Bob Stone's review", ctx)
    assert [s.name for s in steps] == ["list_reviews"]
    assert reply == "I couldn't find any review matching “Bob Stone”."
    _, reply = drive(agent, "any bad reviews on Yelp?", ctx)
    assert reply == "I found no reviews matching that."


# End to end -------------------------------------------------------------------------------
def test_chat_average_rating(client, users, live):
    evts, reply = chat(client, users, "what's my average review rating?")
    assert agent_types(evts) == ["reviews"] and tool_calls(evts) == ["review_stats"]
    assert "Your average rating is 4.25 from 4 reviews" in reply
    assert evts[-1]["type"] == "complete"


def test_chat_drafts_a_reply_without_saving(client, users, live):
    evts, reply = chat(client, users, "draft a reply to Mark Ellis's review")
    assert agent_types(evts) == ["reviews"]
    assert tool_calls(evts) == ["list_reviews", "draft_review_response"]
    assert "Brightline Painting Co." in reply and "It isn't saved." in reply
    assert review_of(live, "Mark Ellis")["response"] is None
