"""Offline rules for the reviews agent: rating statistics, listings, drafted and saved replies.

Understands, for example: "what's my average review rating?", "review stats for Google",
"show my unanswered reviews", "show my 5-star reviews", "any bad reviews on Yelp?",
"draft a reply to Mark Ellis's review", "draft a reply to my newest review",
'reply to Alan Cho's review with "Thanks, Alan!"' (saves that reply).
"""

from __future__ import annotations

import re
from datetime import date

from ...agents.domains.reviews import PLATFORMS
from ...agents.formatting import day, plural
from ..parse import names, quoted, status_in
from . import Call, Step, failed, find_then_act, not_one

_DRAFT = re.compile(r"\b(?:draft|write|compose|suggest)\b|\b(?:reply|respond|answer)\s+to\b", re.I)
_UNANSWERED = re.compile(
    r"\b(?:unanswered|unreplied|(?:no|without\s+(?:a\s+)?)\s*(?:reply|replies|response)"
    r"|(?:haven'?t|have\s+not|not)\s+(?:\w+\s+)?(?:replied|responded|answered))",
    re.I,
)
_STATS = re.compile(
    r"\b(?:average|avg|mean|stats|statistics|overall|distribution|how\s+many|my\s+rating)\b",
    re.I,
)
_STARS = re.compile(r"\b([1-5])[- ]?stars?\b", re.I)
_LOW = re.compile(r"\b(?:bad|negative|low|poor|unhappy|critical)\b", re.I)
_HIGH = re.compile(r"\b(?:good|positive|great|happy|glowing)\b", re.I)


def intent(text: str) -> str:
    if _DRAFT.search(text):
        return "save" if quoted(text) else "draft"
    return "stats" if _STATS.search(text) and not _UNANSWERED.search(text) else "list"


def reviewer(text: str) -> str | None:
    """The person named in the request, ignoring platform names such as "Google"."""
    return next((name for name in names(text) if name.lower() not in PLATFORMS), None)


def platform_args(text: str) -> dict:
    platform = status_in(text, PLATFORMS)
    return {"platform": platform} if platform else {}


def list_args(text: str) -> dict:
    args = {"limit": 10, **platform_args(text)}
    if stars := _STARS.search(text):
        args["min_rating"] = args["max_rating"] = int(stars[1])
    elif _LOW.search(text):
        args["max_rating"] = 3
    elif _HIGH.search(text):
        args["min_rating"] = 4
    if _UNANSWERED.search(text):
        args["unanswered_only"] = True
    if who := reviewer(text):
        args["search"] = who
    return args


def find_call(text: str) -> Call:
    """The review to reply to: the one from the person named, else the newest unanswered."""
    if who := reviewer(text):
        return "list_reviews", {"search": who, "limit": 5, **platform_args(text)}
    return "list_reviews", {"unanswered_only": True, "limit": 1, **platform_args(text)}


def act(kind: str, text: str, review: dict) -> Call:
    if kind == "save":
        return "save_review_response", {"id": review["id"], "response": quoted(text)}
    return "draft_review_response", {"id": review["id"]}


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if kind in ("draft", "save"):
        return find_then_act(steps, find_call(text), "reviews", lambda r: act(kind, text, r))
    if steps:
        return []
    if kind == "stats":
        return [("review_stats", platform_args(text))]
    return [("list_reviews", list_args(text))]


# Answers ---------------------------------------------------------------------------------
def describe(review: dict) -> str:
    return f"{review['reviewer_name']} ({review['rating']} stars, {review['platform'].title()})"


def stats_answer(result: dict, text: str) -> str:
    if not result["count"]:
        return "You don't have any reviews yet."
    platform = platform_args(text).get("platform", "")
    spread = result["distribution"]
    stars = ", ".join(f"{n} stars: {spread[str(n)]}" for n in range(5, 0, -1) if spread[str(n)])
    parts = [
        f"Your average {platform.title() + ' ' if platform else ''}rating is "
        f"{result['average_rating']:.2f} from {plural(result['count'], 'review')} ({stars})."
    ]
    if len(result["by_platform"]) > 1:
        parts.append(
            "By platform: "
            + ", ".join(
                f"{name.title()} {row['average_rating']:.2f} from {row['count']}"
                for name, row in result["by_platform"].items()
            )
            + "."
        )
    waiting = result["unanswered"]
    parts.append(
        f"{plural(waiting, 'review')} {'is' if waiting == 1 else 'are'} waiting for a reply."
        if waiting
        else "Every review has a reply."
    )
    return " ".join(parts)


def list_answer(result: dict, text: str) -> str:
    rows = result["reviews"]
    kind = "without a reply" if _UNANSWERED.search(text) else "matching that"
    if not rows:
        return f"I found no reviews {kind}."
    lines = [
        f"- {describe(r)}, {day(r['review_date'])}: “{r['comment'] or 'no comment'}”"
        + ("" if r["response"] else " (no reply yet)")
        for r in rows
    ]
    shown = f", showing the newest {len(rows)}" if result["total"] > len(rows) else ""
    return f"I found {plural(result['total'], 'review')} {kind}{shown}:\n" + "\n".join(lines)


def draft_answer(result: dict, text: str) -> str:
    review = result["review"]
    return (
        f"Here's a draft reply to {review['reviewer_name']}'s {review['rating']}-star "
        f"{review['platform'].title()} review:\n\n{result['draft']}\n\n"
        "It isn't saved. Tell me if you'd like me to save it as your reply."
    )


def saved_answer(result: dict, text: str) -> str:
    review = result["review"]
    return f"Saved your reply to {review['reviewer_name']}'s review: “{review['response']}”"


ANSWERS = {
    "review_stats": stats_answer,
    "list_reviews": list_answer,
    "draft_review_response": draft_answer,
    "save_review_response": saved_answer,
}


def answer(text: str, steps: list[Step], today: date) -> str:
    if not steps:
        return "I can show your reviews, your average rating, and draft replies to reviews."
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if intent(text) in ("draft", "save") and len(steps) == 1:
        if not last.result.get("reviews") and not reviewer(text):
            return "Every review already has a reply, so there is nothing to draft."
        if missing := not_one(last, "reviews", "review", reviewer(text) or "", describe):
            return missing
    return ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))(
        last.result, text
    )
