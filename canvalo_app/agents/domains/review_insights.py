"""Reviews read from rows: a period's ratings, the month-by-month trend of ratings and
sentiment, the clients of recently finished projects to ask for a review, and the reply a
review's rating calls for.

Sentiment is read from the stars alone: 4 or 5 is positive, 3 neutral, 1 or 2 negative.
A finished project counts as reviewed when a review names it (its project_id), or when its
client wrote a review (same name, any case) on or after the project's start date (the day
it was completed when it has no start), so a review of an earlier job does not count.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from ...store.base import Filter
from ..stats import Period, average
from .contacts import full_name

SENTIMENTS = ("positive", "neutral", "negative")
#: The most months a trend covers: ten years, one point a month.
MAX_MONTHS = 120


def rating_summary(ratings: list[int]) -> dict:
    return {"count": len(ratings), "average_rating": average(ratings)}


def distribution(ratings: list[int]) -> dict[str, int]:
    """How many reviews gave each number of stars, "1" to "5"."""
    stars = Counter(ratings)
    return {str(n): stars[n] for n in range(1, 6)}


def sentiment(rating: int) -> str:
    return "positive" if rating >= 4 else "neutral" if rating == 3 else "negative"


def period_filters(period: Period) -> list[Filter]:
    """Store filters for reviews dated in `period` (review_date is a date)."""
    filters = []
    if period.start:
        filters.append(Filter("review_date", "gte", period.start.isoformat()))
    if period.end:
        filters.append(Filter("review_date", "lte", period.end.isoformat()))
    return filters


def last_months(today: date, count: int = 6) -> Period:
    """The `count` calendar months up to today's, today's month included."""
    year, month = divmod(today.year * 12 + today.month - 1 - (count - 1), 12)
    return Period(date(year, month + 1, 1), today, f"last {count} months")


def month_starts(period: Period, today: date, reviews: list[dict]) -> list[date]:
    """The first day of each month the trend shows: from the period's start (or the first
    review's month) to its end, and never past today's month."""
    dates = sorted(review["review_date"][:10] for review in reviews)
    first = period.start or (date.fromisoformat(dates[0]) if dates else today)
    last = min(period.end or today, today)
    index, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    return [date(n // 12, n % 12 + 1, 1) for n in range(max(index, end - MAX_MONTHS + 1), end + 1)]


def month_row(start: date, reviews: list[dict]) -> dict:
    key = start.isoformat()[:7]
    ratings = [r["rating"] for r in reviews if r["review_date"][:7] == key]
    feelings = Counter(sentiment(rating) for rating in ratings)
    return {
        "month": key,
        "label": f"{start:%b %Y}",
        **rating_summary(ratings),
        **{kind: feelings[kind] for kind in SENTIMENTS},
    }


def trend(period: Period, today: date, reviews: list[dict]) -> list[dict]:
    """One row a month: review count, average rating and sentiment counts."""
    return [month_row(start, reviews) for start in month_starts(period, today, reviews)]


def completed_since(today: date, days: int) -> list[Filter]:
    """Store filters for projects completed in the last `days` days, today included."""
    return [
        Filter("status", "eq", "completed"),
        Filter("completed_on", "gte", (today - timedelta(days=days)).isoformat()),
        Filter("completed_on", "lte", today.isoformat()),
    ]


def reviewed(project: dict, client: str, reviews: list[dict]) -> bool:
    since = project["start_date"] or project["completed_on"]
    return any(
        review["project_id"] == project["id"]
        or (
            review["reviewer_name"].strip().lower() == client.lower()
            and review["review_date"] >= since
        )
        for review in reviews
    )


def to_ask(projects: list[dict], reviews: list[dict], contacts: list[dict], today: date) -> list:
    """The finished `projects` whose client has not reviewed them, newest first, with the
    client's email and phone when a contact is theirs (by contact_id, else by name)."""
    by_id = {contact["id"]: contact for contact in contacts}
    by_name = {full_name(contact).lower(): contact for contact in contacts if full_name(contact)}
    rows = []
    for project in sorted(projects, key=lambda p: p["completed_on"], reverse=True):
        contact = by_id.get(project["contact_id"]) or by_name.get(
            (project["client_name"] or "").strip().lower()
        )
        client = (project["client_name"] or (full_name(contact) if contact else "")).strip()
        if not client or reviewed(project, client, reviews):
            continue
        rows.append(
            {
                "client_name": client,
                "project_id": project["id"],
                "project_name": project["name"],
                "completed_on": project["completed_on"],
                "days_since": (today - date.fromisoformat(project["completed_on"][:10])).days,
                "email": contact.get("email") if contact else None,
                "phone": contact.get("phone") if contact else None,
            }
        )
    return rows


def draft_reply(review: dict, profile: dict) -> str:
    """A reply suited to the review's rating, signed by the business."""
    first_name = review["reviewer_name"].split()[0]
    stars = review["rating"]
    if stars == 5:
        body = (
            f"Thank you so much, {first_name}! We're thrilled with your 5-star review and so "
            "glad you love the results. We'd be happy to help with your next project."
        )
    elif stars == 4:
        body = (
            f"Thank you for the 4-star review, {first_name}! We're glad you're happy with the "
            "finish, and we appreciate the feedback; it helps us get better on every job."
        )
    else:
        comment = (review["comment"] or "").strip()
        noted = f' We read your comment ("{comment}") and take it seriously.' if comment else ""
        phone = f" at {profile['phone']}" if profile.get("phone") else ""
        body = (
            f"Thank you for sharing this, {first_name}. We're sorry we fell short of what you "
            f"expected.{noted} We'd like to make it right, so please reach out to us{phone}."
        )
    return f"{body}\n\n— {profile.get('business_name') or 'The team'}"
