"""Offline rules for the reviews agent: rating statistics, trends, listings, drafted and saved
replies, and the clients to ask for a review.

Understands, for example: "what's my average review rating?", "average rating this year",
"review stats for Google", "how are reviews trending", "rating trend this year",
"who should I ask for a review", "show my unanswered reviews", "show my 5-star reviews",
"any bad reviews on Yelp?", "draft a reply to Mark Ellis's review", "draft a reply to the
latest review", then "yes, save it" or "save that reply" (saves the draft shown),
'reply to Alan Cho's review with "Thanks, Alan!"' (saves that reply).
"""

from __future__ import annotations

import re
from datetime import date

from ...agents.domains.reviews import PLATFORMS
from ...agents.formatting import day, plural
from ...agents.stats import PERIODS
from ..parse import names, quoted, status_in
from . import Call, Step, failed, find_then_act, not_one, records
from .review_answers import ask_answer, draft_answer, saved_answer, trend_answer

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
_SAVE = re.compile(r"\b(?:save|post|publish)\b", re.I)
_ASK = re.compile(
    r"\bask\b.*\breviews?\b|\brequest\w*\s+(?:a\s+)?reviews?\b|\breview\s+requests?\b"
    r"|\b(?:hasn'?t|haven'?t|has\s+not|have\s+not|not)\s+(?:yet\s+)?(?:left\s+a\s+review|reviewed)",
    re.I,
)
_TREND = re.compile(
    r"\btrend\w*|\b(?:by|per|each|every)\s+month\b|\bmonth\s+(?:by|to)\s+month\b|\bmonthly\b"
    r"|\bover\s+time\b|\bsentiment\b",
    re.I,
)
PERIOD_WORDS = {
    "past 30 days": "last_30_days",
    "past 90 days": "last_90_days",
    "ytd": "year_to_date",
}
_YEAR = re.compile(r"\b(?:in|for|during|of)\s+((?:19|20|21)\d\d)\b", re.I)


_CREATE = re.compile(r"\b(?:add|log|record|new)\b.*\breview\b", re.I)
_COMMENT = re.compile(r":\s*(.+?)\s*$")
#: The field "change Alan Cho's review to 5 stars" changes.
EDITS = [
    records.Edit(
        "rating",
        re.compile(r"\bstars?\b|\brating\b", re.I),
        lambda text, today: next(
            (int(n) for n in re.findall(r"\b([1-5])\b", records.value_after_to(text) or "")),
            None,
        ),
    )
]


def intent(text: str) -> str:
    """What is asked: ask (clients to ask for a review), delete, create, save (a quoted
    reply), save_draft (the drafted reply), draft, trend, stats or list."""
    if _ASK.search(text):
        return "ask"
    if records.DELETE.search(text):
        return "delete"
    if _CREATE.search(text) and _STARS.search(text):
        return "create"
    if _DRAFT.search(text) or _SAVE.search(text):
        if quoted(text):
            return "save"
        return "save_draft" if _SAVE.search(text) else "draft"
    if _TREND.search(text):
        return "trend"
    rated = _STATS.search(text) or (period_args(text) and re.search(r"\brating\b", text, re.I))
    return "stats" if rated and not _UNANSWERED.search(text) else "list"


def period_args(text: str) -> dict:
    """The period named ("this year", "last quarter", "in 2025"), as tool input."""
    if year := _YEAR.search(text):
        return {"start": f"{year[1]}-01-01", "end": f"{year[1]}-12-31"}
    period = status_in(text, PERIODS, PERIOD_WORDS)
    return {"period": period} if period else {}


def ask_args(text: str) -> dict:
    days = re.search(r"\b(?:last|past)\s+(\d{1,4})\s+days\b", text, re.I)
    return {"days": int(days[1])} if days else {}


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


def find_call(kind: str, text: str) -> Call:
    """The review to act on: the one from the person named, else the newest unanswered (for
    saving a draft: the newest with a drafted reply)."""
    drafted = {"drafted_only": True} if kind == "save_draft" else {}
    if who := reviewer(text):
        return "list_reviews", {"search": who, **drafted, "limit": 5, **platform_args(text)}
    which = drafted or {"unanswered_only": True}
    return "list_reviews", {**which, "limit": 1, **platform_args(text)}


def act(kind: str, text: str, review: dict) -> Call:
    if kind == "draft":
        return "draft_review_response", {"id": review["id"]}
    reply = {"response": quoted(text)} if kind == "save" else {}  # else: the stored draft
    return "save_review_response", {"id": review["id"], **reply}


REPLYING = ("draft", "save", "save_draft")
READING = {
    "ask": lambda text: ("clients_to_ask_for_review", ask_args(text)),
    "trend": lambda text: ("review_trend", period_args(text)),
    "stats": lambda text: ("review_stats", {**platform_args(text), **period_args(text)}),
    "list": lambda text: ("list_reviews", list_args(text)),
}


def create_args(text: str, today: date) -> dict:
    """A review the user was given: "add a 5-star Google review from Dan Smith: great job"."""
    args = {
        "reviewer_name": reviewer(text),
        "rating": int(_STARS.search(text)[1]),
        "review_date": today.isoformat(),
        **platform_args(text),
    }
    comment = quoted(text) or (match[1] if (match := _COMMENT.search(text)) else None)
    return args | ({"comment": comment[:1].upper() + comment[1:]} if comment else {})


def record_plan(kind: str, text: str, today: date) -> tuple[str, dict] | None:
    """Deleting one review, showing it in full or changing its rating."""
    if kind == "delete":
        return "delete", {}
    return records.record_kind(text, today, EDITS) if kind in ("list", "stats") else None


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind = intent(text)
    if (plan := record_plan(kind, text, today)) and reviewer(text):
        find = ("list_reviews", {"search": reviewer(text), "limit": 5})
        return records.record_calls(plan[0], "review", steps, find, plan[1])
    if kind == "create":
        return [] if steps or not reviewer(text) else [("create_review", create_args(text, today))]
    if kind in REPLYING:
        find = find_call(kind, text)
        return find_then_act(steps, find, "reviews", lambda r: act(kind, text, r))
    return [] if steps or kind not in READING else [READING[kind](text)]


# Answers ---------------------------------------------------------------------------------
def describe(review: dict) -> str:
    return f"{review['reviewer_name']} ({review['rating']} stars, {review['platform'].title()})"


def span(result: dict) -> str:
    """ " for 2026", " for the last 30 days", or "" for all time."""
    period = result["period"]
    if not (period["start"] or period["end"]):
        return ""
    return f" for {'the ' if period['label'].startswith('last') else ''}{period['label']}"


def stats_answer(result: dict, text: str) -> str:
    if not result["count"]:
        return f"You don't have any reviews{span(result) or ' yet'}."
    platform = platform_args(text).get("platform", "")
    spread = result["distribution"]
    stars = ", ".join(f"{n} stars: {spread[str(n)]}" for n in range(5, 0, -1) if spread[str(n)])
    parts = [
        f"Your average {platform.title() + ' ' if platform else ''}rating{span(result)} is "
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


ANSWERS = {
    "review_stats": stats_answer,
    "review_trend": trend_answer,
    "clients_to_ask_for_review": ask_answer,
    "list_reviews": list_answer,
    "draft_review_response": draft_answer,
    "save_review_response": saved_answer,
    "create_review": lambda result, text: f"Added the review: {result['summary']}.",
}


def answer(text: str, steps: list[Step], today: date) -> str:
    kind = intent(text)
    if steps and record_plan(kind, text, today):
        return records.record_answer(steps, "review", reviewer(text) or "", describe)
    if not steps:
        return (
            "I can show your reviews, your average rating and its trend, who to ask for a "
            "review, and draft replies to reviews."
        )
    last = steps[-1]
    if last.status != "ok":
        return failed(last)
    if kind in REPLYING and len(steps) == 1:
        if kind == "save_draft" and not last.result.get("reviews"):
            return "There's no drafted reply to save. Ask me to draft one first."
        if not last.result.get("reviews") and not reviewer(text):
            return "Every review already has a reply, so there is nothing to draft."
        if missing := not_one(last, "reviews", "review", reviewer(text) or "", describe):
            return missing
    return ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))(
        last.result, text
    )
