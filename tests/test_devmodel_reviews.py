"""The offline development model drives the reviews agent: its rules read the user's words
into tool calls on the real store, and its templated answers read the results. These are
the development model's own tests; the reviews agent's are in test_domain_reviews.py."""

from __future__ import annotations

import pytest

from canvalo_app.agents.domains.reviews import agent
from tests.agent_helpers import (
    agent_types,
    chat,
    review_of,
    tool_calls,
)
from tests.devmodel_helpers import drive, first_calls


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
