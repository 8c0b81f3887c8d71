"""The reviews agent: customer reviews, their rating statistics and drafted replies."""

from __future__ import annotations

from marshmallow import fields, validate

from ...store.base import Filter, Search, now_iso
from ..context import business_profile
from ..formatting import plural
from ..stats import PeriodInput, breakdown, number, period_of, series
from ..tools import Agent, Count, Reference, ToolContext, ToolError, ToolInput
from .crud import ALL_ROWS, Paging, RecordId, add_crud_tools, fetch
from .review_insights import (
    SENTIMENTS,
    average,
    completed_since,
    distribution,
    draft_reply,
    last_months,
    period_filters,
    rating_summary,
    to_ask,
    trend,
)

PLATFORMS = ("google", "yelp", "facebook", "houzz", "angi", "website", "other")

agent = Agent(
    name="reviews",
    description=(
        "Customer reviews: listing, rating statistics and trends by period, clients to ask "
        "for a review, drafting and saving replies."
    ),
    instructions=(
        "You manage the contractor's customer reviews. Look reviews up with list_reviews "
        "before acting on one. Use review_stats for a period's average, count and stars, "
        "review_trend for ratings and sentiment month by month, and clients_to_ask_for_review "
        "for clients of recently finished projects who have not reviewed them. Drafted replies "
        "are suggestions: show the draft; when the user asks to save it, call "
        "save_review_response with the review's id and no text, which saves that draft. Ask "
        "for missing details; never invent reviews, ratings or numbers."
    ),
)


class ReviewFields(ToolInput):
    reviewer_name = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"description": "Who wrote it."}
    )
    rating = fields.Integer(
        required=True, validate=validate.Range(1, 5), metadata={"description": "Stars, 1 to 5."}
    )
    comment = fields.String(
        validate=validate.Length(max=5000), metadata={"description": "The review's text."}
    )
    platform = fields.String(
        validate=validate.OneOf(PLATFORMS), metadata={"description": "Where it was posted."}
    )
    review_date = fields.Date(required=True, metadata={"description": "When it was posted."})
    project_id = Reference(
        "projects", "project", metadata={"description": "The project it is about."}
    )


class ReviewUpdate(RecordId, ReviewFields):
    pass


class ReviewList(Paging):
    platform = fields.String(
        validate=validate.OneOf(PLATFORMS), metadata={"description": "Only this platform."}
    )
    min_rating = fields.Integer(
        validate=validate.Range(1, 5), metadata={"description": "At least this many stars."}
    )
    max_rating = fields.Integer(
        validate=validate.Range(1, 5), metadata={"description": "At most this many stars."}
    )
    unanswered_only = fields.Boolean(metadata={"description": "Only reviews without a reply."})
    drafted_only = fields.Boolean(
        metadata={"description": "Only reviews with a drafted reply waiting to be saved."}
    )
    search = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Text to find in the reviewer's name or the comment."},
    )


class ReviewStatsInput(PeriodInput):
    platform = fields.String(
        validate=validate.OneOf(PLATFORMS), metadata={"description": "Only this platform."}
    )


class AskInput(ToolInput):
    days = Count(
        maximum=3650,
        load_default=60,
        metadata={"description": "Projects completed in the last this many days (default 60)."},
    )


class ResponseInput(RecordId):
    response = fields.String(
        validate=validate.Length(1, 2000),
        metadata={
            "description": "The reply text; omit it to save the draft draft_review_response "
            "last made for this review."
        },
    )


def label(review: dict) -> str:
    return f"the {review['rating']}-star review from {review['reviewer_name']}"


def platform_filter(args: dict) -> list[Filter]:
    return [Filter("platform", "eq", args["platform"])] if "platform" in args else []


def list_filters(args: dict, ctx: ToolContext) -> tuple[list[Filter], Search | None]:
    filters = platform_filter(args)
    if "min_rating" in args:
        filters.append(Filter("rating", "gte", args["min_rating"]))
    if "max_rating" in args:
        filters.append(Filter("rating", "lte", args["max_rating"]))
    if args.get("unanswered_only"):
        filters.append(Filter("response", "is_null", True))
    if args.get("drafted_only"):
        filters.append(Filter("draft_response", "is_null", False))
    search = Search(("reviewer_name", "comment"), args["search"]) if "search" in args else None
    return filters, search


add_crud_tools(
    agent,
    "reviews",
    "review",
    "reviews",
    create=ReviewFields(),
    update=ReviewUpdate(partial=tuple(ReviewFields().fields)),
    list_schema=ReviewList(),
    list_filters=list_filters,
    label=label,
    order_by="review_date",
)


@agent.tool(
    "review_stats",
    ReviewStatsInput(),
    "Average rating (2 decimals), review count, distribution of 1-5 stars, average and count "
    "by platform, and how many reviews have no reply, for reviews dated in a period (default: "
    "all time).",
)
def review_stats(ctx: ToolContext, args: dict) -> dict:
    period = period_of(args, ctx.today, default="all_time")
    filters = platform_filter(args) + period_filters(period)
    reviews = ctx.store.list_records("reviews", filters=filters, limit=ALL_ROWS)
    ratings = [review["rating"] for review in reviews]
    by_platform = {
        platform: rating_summary([r["rating"] for r in reviews if r["platform"] == platform])
        for platform in sorted({review["platform"] for review in reviews})
    }
    unanswered = sum(1 for review in reviews if not review["response"])
    mean, stars = average(ratings), distribution(ratings)
    bounded = period.start or period.end
    summary = (
        f"Average rating {mean:.2f} from {plural(len(ratings), 'review')}; "
        f"{unanswered} without a reply"
        if ratings
        else ("No reviews" if bounded else "No reviews yet")
    )
    return {
        "period": period.as_dict(),
        "average_rating": mean,
        "count": len(ratings),
        "distribution": stars,
        "by_platform": by_platform,
        "unanswered": unanswered,
        "summary": f"{period.label}: {summary}" if bounded else summary,
        "stat_data": [
            number("Average rating", mean, "rating", period),
            number("Reviews", len(ratings), "count", period),
            breakdown(
                "Reviews by stars",
                [(f"{n} stars", stars[str(n)]) for n in range(5, 0, -1)],
                "count",
                period,
            ),
        ],
    }


@agent.tool(
    "review_trend",
    PeriodInput(),
    "Month by month in a period (default: the last 6 months): review count, average rating, "
    "and sentiment (positive 4-5 stars, neutral 3, negative 1-2).",
)
def review_trend(ctx: ToolContext, args: dict) -> dict:
    given = any(key in args for key in ("period", "start", "end"))
    period = period_of(args, ctx.today) if given else last_months(ctx.today)
    reviews = ctx.store.list_records("reviews", filters=period_filters(period), limit=ALL_ROWS)
    months = trend(period, ctx.today, reviews)
    ratings = [review["rating"] for review in reviews]
    feelings = {kind: sum(month[kind] for month in months) for kind in SENTIMENTS}
    points = [(month["label"], month["average_rating"]) for month in months]
    counts = [(month["label"], month["count"]) for month in months]
    return {
        "period": period.as_dict(),
        "months": months,
        "totals": {**rating_summary(ratings), **feelings},
        "summary": f"{period.label}: {plural(len(ratings), 'review')} over "
        f"{plural(len(months), 'month')}",
        "stat_data": [
            series("Average rating by month", points, "rating", period),
            series("Reviews by month", counts, "count", period),
            breakdown("Review sentiment", list(feelings.items()), "count", period),
        ],
    }


@agent.tool(
    "clients_to_ask_for_review",
    AskInput(),
    "Clients of projects completed in the last N days (default 60) who have not reviewed "
    "that project, with the project, its completion date and the client's email and phone.",
)
def clients_to_ask_for_review(ctx: ToolContext, args: dict) -> dict:
    filters = completed_since(ctx.today, args["days"])
    projects = ctx.store.list_records("projects", filters=filters, limit=ALL_ROWS)
    reviews = ctx.store.list_records("reviews", limit=ALL_ROWS)
    contacts = ctx.store.list_records("contacts", limit=ALL_ROWS) if projects else []
    clients = to_ask(projects, reviews, contacts, ctx.today)
    return {
        "clients": clients,
        "count": len(clients),
        "days": args["days"],
        "summary": f"{plural(len(clients), 'client')} to ask for a review",
    }


@agent.tool(
    "draft_review_response",
    RecordId(),
    "Draft a reply to one review, from its rating, comment and reviewer and the business name. "
    "The draft is kept with the review but NOT saved as its reply; show it to the user.",
)
def draft_review_response(ctx: ToolContext, args: dict) -> dict:
    review = fetch(ctx, "reviews", args["id"], "review")
    draft = draft_reply(review, business_profile(ctx.store) or {})
    review = ctx.store.update_record("reviews", review["id"], {"draft_response": draft})
    return {
        "review": review,
        "draft": draft,
        "saved": False,
        "summary": f"Drafted a reply to {label(review)} (not saved)",
    }


@agent.tool(
    "save_review_response",
    ResponseInput(),
    "Save the reply to a review (replaces any earlier reply) and record when it was made. "
    "Without a text, saves the draft draft_review_response made for it.",
)
def save_review_response(ctx: ToolContext, args: dict) -> dict:
    review = fetch(ctx, "reviews", args["id"], "review")
    response = args.get("response") or review["draft_response"]
    if not response:
        raise ToolError(
            f"There is no drafted reply to {label(review)}: draft one first, or give the text."
        )
    values = {"response": response, "responded_at": now_iso(), "draft_response": None}
    review = ctx.store.update_record("reviews", review["id"], values)
    return {"review": review, "summary": f"Saved the reply to {label(review)}"}
