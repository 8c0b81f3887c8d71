"""Offline answers of the reviews agent: the month-by-month trend, the clients to ask for a
review, a drafted reply and a saved one."""

from __future__ import annotations

from ...agents.formatting import day, plural


def trend_line(month: dict) -> str:
    if not month["count"]:
        return f"- {month['label']}: no reviews"
    moods = ", ".join(f"{month[kind]} {kind}" for kind in ("positive", "neutral", "negative"))
    return (
        f"- {month['label']}: {plural(month['count'], 'review')}, average "
        f"{month['average_rating']:.2f} ({moods})"
    )


def mean_of(months: list[dict]) -> float | None:
    """The average rating of these months' reviews together."""
    count = sum(month["count"] for month in months)
    stars = sum(month["average_rating"] * month["count"] for month in months if month["count"])
    return stars / count if count else None


def direction(months: list[dict]) -> str:
    """How the newer half of the months compares with the older half."""
    older, newer = mean_of(months[: len(months) // 2]), mean_of(months[len(months) // 2 :])
    if older is None or newer is None:
        return ""
    if abs(newer - older) < 0.05:
        return f" Ratings are steady at about {newer:.2f}."
    word = "up" if newer > older else "down"
    return f" Ratings are trending {word}: {newer:.2f} lately, from {older:.2f} before."


def trend_answer(result: dict, text: str) -> str:
    totals, months = result["totals"], result["months"]
    label = result["period"]["label"]
    if not totals["count"]:
        return f"You have no reviews in {label}."
    lines = "\n".join(trend_line(month) for month in months)
    return (
        f"Your reviews month by month ({label}):\n{lines}\n"
        f"In all: {plural(totals['count'], 'review')} averaging {totals['average_rating']:.2f}; "
        f"{totals['positive']} positive, {totals['neutral']} neutral, "
        f"{totals['negative']} negative.{direction(months)}"
    )


def ask_answer(result: dict, text: str) -> str:
    rows, days = result["clients"], result["days"]
    if not rows:
        return f"Every client whose project finished in the last {days} days has left a review."
    lines = "\n".join(
        f"- {r['client_name']}: {r['project_name']}, finished {day(r['completed_on'])} "
        f"({plural(r['days_since'], 'day')} ago)"
        + "".join(f"; {r[key]}" for key in ("email", "phone") if r[key])
        for r in rows
    )
    return (
        f"{plural(len(rows), 'client')} finished a project with you in the last {days} days "
        f"and {'has' if len(rows) == 1 else 'have'} not reviewed it yet:\n{lines}"
    )


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
