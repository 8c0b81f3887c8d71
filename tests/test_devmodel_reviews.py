"""The offline development model drives the reviews agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the reviews agent's are in test_domain_reviews.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.context import today_for
from canvalo_app.agents.domains.reviews import agent
from canvalo_app.devmodel.routing import route
from tests.agent_helpers import (
    agent_types,
    chat,
    review_of,
    tool_calls,
)
from tests.conftest import BOTH_STORES
from tests.devmodel_helpers import drive, first_calls
from tests.helpers import answer_of, send, stream_events


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
        ("average rating this year", "review_stats", {"period": "this_year"}),
        ("how many reviews last quarter?", "review_stats", {"period": "last_quarter"}),
        (
            "what was my Google rating in 2025?",
            "review_stats",
            {"platform": "google", "start": "2025-01-01", "end": "2025-12-31"},
        ),
        ("how are reviews trending", "review_trend", {}),
        ("show my rating month by month this year", "review_trend", {"period": "this_year"}),
        ("who should I ask for a review", "clients_to_ask_for_review", {}),
        (
            "which clients haven't reviewed us in the last 90 days?",
            "clients_to_ask_for_review",
            {"days": 90},
        ),
        ("yes, save it", "list_reviews", {"drafted_only": True, "limit": 1}),
        (
            "save the reply to Mark Ellis",
            "list_reviews",
            {"search": "Mark Ellis", "drafted_only": True, "limit": 5},
        ),
    ],
)
def test_rules_first_call(text, name, args):
    assert [(c.name, c.input) for c in first_calls(agent, text)] == [(name, args)]


@pytest.mark.parametrize(
    ("text", "agents"),
    [
        ("yes, save it", ["reviews"]),
        ("Sure, please save Mark Ellis", ["reviews"]),
        ("save that reply", ["reviews"]),
        ("who should I ask for a review", ["reviews"]),
        ("send the holiday touch-up reminder now", ["campaigns"]),
        ("remind me to call Tom", ["tasks"]),
        ("I saved some money", []),
    ],
)
def test_routing_of_follow_ups_and_named_campaigns(text, agents):
    assert route(text)[0] == agents


def test_rules_average_rating(ctx, stores):
    steps, reply = drive(agent, "what's my average review rating?", ctx)
    assert [s.name for s in steps] == ["review_stats"]
    assert reply.startswith("Your average rating is 4.25 from 8 reviews (5 stars: 5, 4 stars: 1")
    assert "5 reviews are waiting for a reply." in reply
    _, reply = drive(agent, "average rating this year", ctx)
    ratings = [
        r["rating"] for r in stores[0].list_records("reviews") if r["review_date"] >= "2026-01-01"
    ]
    average = f"{sum(ratings) / len(ratings):.2f}"
    assert reply.startswith(
        f"Your average rating for 2026 is {average} from {len(ratings)} reviews"
    )
    assert average == "4.14"


def test_rules_trend_and_who_to_ask(ctx):
    _, reply = drive(agent, "how are reviews trending", ctx)
    assert reply.startswith("Your reviews month by month (last 6 months):\n- Jun 2026: 1 review")
    assert "- Jul 2026: 1 review, average 2.00 (0 positive, 0 neutral, 1 negative)" in reply
    assert "In all: 7 reviews averaging 4.14; 5 positive, 1 neutral, 1 negative." in reply
    assert reply.endswith("Ratings are trending up: 4.25 lately, from 4.00 before.")
    _, reply = drive(agent, "who should I ask for a review", ctx)
    assert reply == (
        "1 client finished a project with you in the last 60 days and has not reviewed it yet:\n"
        "- Grace Kim: Kim deck staining, finished Friday, October 2, 2026 (52 days ago); "
        "grace.kim@example.com"
    )
    _, reply = drive(agent, "who should I ask for a review from the last 30 days", ctx)
    assert reply == "Every client whose project finished in the last 30 days has left a review."


def test_rules_unanswered_reviews(ctx):
    steps, reply = drive(agent, "show my unanswered reviews", ctx)
    assert reply.startswith("I found 5 reviews without a reply:")
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
    steps, reply = drive(agent, "save that reply", ctx)
    assert [s.input for s in steps] == [{"drafted_only": True, "limit": 1}, {"id": mark["id"]}]
    assert review_of(stores[0], "Mark Ellis")["response"] == steps[1].result["review"]["response"]
    assert reply.startswith("Saved your reply to Mark Ellis's review: “Thank you for sharing")
    _, reply = drive(agent, "yes, save it", ctx)
    assert reply == "There's no drafted reply to save. Ask me to draft one first."


def test_rules_save_a_quoted_reply(ctx, stores):
    steps, reply = drive(agent, 'reply to Alan Cho\'s review with "Thanks, Alan!"', ctx)
    assert steps[-1].name == "save_review_response"
    assert review_of(stores[0], "Alan Cho")["response"] == "Thanks, Alan!"
    assert reply == "Saved your reply to Alan Cho's review: “Thanks, Alan!”"


def test_rules_say_plainly_when_nothing_matches(ctx):
    steps, reply = drive(agent, "draft a reply to Bob Stone's review", ctx)
    assert [s.name for s in steps] == ["list_reviews"]
    assert reply == "I couldn't find any review matching “Bob Stone”."
    _, reply = drive(agent, "any bad reviews on Houzz?", ctx)
    assert reply == "I found no reviews matching that."


# End to end -------------------------------------------------------------------------------
def test_chat_average_rating(client, users, live):
    evts, reply = chat(client, users, "what's my average review rating?")
    assert agent_types(evts) == ["reviews"] and tool_calls(evts) == ["review_stats"]
    assert "Your average rating is 4.25 from 8 reviews" in reply
    assert evts[-1]["type"] == "complete"


def test_chat_drafts_a_reply_without_saving(client, users, live):
    evts, reply = chat(client, users, "draft a reply to Mark Ellis's review")
    assert agent_types(evts) == ["reviews"]
    assert tool_calls(evts) == ["list_reviews", "draft_review_response"]
    assert "Brightline Painting Co." in reply and "It isn't saved." in reply
    assert review_of(live, "Mark Ellis")["response"] is None


@BOTH_STORES
def test_chat_average_rating_this_year(client, users, live):
    today = today_for({"timezone": "America/New_York"})
    evts, reply = chat(client, users, "average rating this year")
    assert agent_types(evts) == ["reviews"] and tool_calls(evts) == ["review_stats"]
    year = [
        r["rating"] for r in live.list_records("reviews") if r["review_date"][:4] == str(today.year)
    ]
    mean = round(sum(year) / len(year), 2) if year else None  # none on January 1-3
    said = f"is {mean:.2f} from {len(year)} review{'s' * (len(year) != 1)}" if year else ""
    assert (
        f"Your average rating for {today.year} {said}" in reply
        if year
        else (reply == f"You don't have any reviews for {today.year}.")
    )
    [average, _, stars] = [e for e in evts if e["type"] == "stat_data"]
    assert average["values"][0]["value"] == mean
    assert sum(v["value"] for v in stars["values"]) == len(year)


@BOTH_STORES
def test_chat_trend_and_who_to_ask(client, users, live):
    evts, reply = chat(client, users, "how are reviews trending")
    assert tool_calls(evts) == ["review_trend"]
    assert reply.startswith("Your reviews month by month (last 6 months):")
    assert [e["kind"] for e in evts if e["type"] == "stat_data"] == [
        "series",
        "series",
        "breakdown",
    ]
    evts, reply = chat(client, users, "who should I ask for a review")
    assert agent_types(evts) == ["reviews"] and tool_calls(evts) == ["clients_to_ask_for_review"]
    deck = next(p for p in live.list_records("projects") if p["status"] == "completed")
    assert f"- {deck['client_name']}: {deck['name']}, finished" in reply


@BOTH_STORES
def test_chat_saves_the_draft_shown_in_the_turn_before(client, users, live):
    first = stream_events(send(client, users.a, "draft a reply to the latest review"))
    assert tool_calls(first) == ["list_reviews", "draft_review_response"]
    shown = answer_of(first)
    newest = max(
        (r for r in live.list_records("reviews") if not r["response"]),
        key=lambda r: r["review_date"],
    )
    draft = review_of(live, newest["reviewer_name"])["draft_response"]
    assert draft and draft in shown and review_of(live, newest["reviewer_name"])["response"] is None
    conversation = first[0]["conversation_id"]
    second = stream_events(send(client, users.a, "yes, save it", conversation_id=conversation))
    assert agent_types(second) == ["reviews"]
    assert tool_calls(second) == ["list_reviews", "save_review_response"]
    saved = review_of(live, newest["reviewer_name"])
    assert (saved["response"], saved["draft_response"]) == (draft, None)
    assert answer_of(second).startswith(f"Saved your reply to {newest['reviewer_name']}'s review")
