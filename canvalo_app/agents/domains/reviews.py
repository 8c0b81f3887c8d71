"""The reviews agent: customer reviews, their rating statistics and drafted replies."""

from __future__ import annotations

from collections import Counter

from marshmallow import fields, validate

from ...store.base import Filter, Search, now_iso
from ..context import business_profile
from ..formatting import plural
from ..tools import Agent, Reference, ToolContext, ToolInput
from .crud import ALL_ROWS, Paging, RecordId, add_crud_tools, fetch

PLATFORMS = ("google", "yelp", "facebook", "houzz", "angi", "website", "other")

agent = Agent(
    name="reviews",
    description="Customer reviews: listing, rating statistics, drafting and saving replies.",
    instructions=(
        "You manage the contractor's customer reviews. Look reviews up with list_reviews "
        "before acting on one, and use review_stats for averages and counts. Drafted replies "
        "are suggestions: show the draft and save it with save_review_response only when the "
        "user asks. Ask for missing details; never invent reviews, ratings or numbers."
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
    search = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "Text to find in the reviewer's name or the comment."},
    )


class ReviewStatsInput(ToolInput):
    platform = fields.String(
        validate=validate.OneOf(PLATFORMS), metadata={"description": "Only this platform."}
    )


class ResponseInput(RecordId):
    response = fields.String(
        required=True,
        validate=validate.Length(1, 2000),
        metadata={"description": "The reply text."},
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


def average(ratings: list[int]) -> float | None:
    return round(sum(ratings) / len(ratings), 2) if ratings else None


def rating_summary(ratings: list[int]) -> dict:
    return {"count": len(ratings), "average_rating": average(ratings)}


@agent.tool(
    "review_stats",
    ReviewStatsInput(),
    "Average rating (2 decimals), review count, distribution of 1-5 stars, average and count "
    "by platform, and how many reviews have no reply.",
)
def review_stats(ctx: ToolContext, args: dict) -> dict:
    reviews = ctx.store.list_records("reviews", filters=platform_filter(args), limit=ALL_ROWS)
    ratings = [review["rating"] for review in reviews]
    stars = Counter(ratings)
    by_platform = {
        platform: rating_summary([r["rating"] for r in reviews if r["platform"] == platform])
        for platform in sorted({review["platform"] for review in reviews})
    }
    unanswered = sum(1 for review in reviews if not review["response"])
    mean = average(ratings)
    summary = (
        f"Average rating {mean:.2f} from {plural(len(ratings), 'review')}; "
        f"{unanswered} without a reply"
        if ratings
        else "No reviews yet"
    )
    return {
        "average_rating": mean,
        "count": len(ratings),
        "distribution": {str(n): stars[n] for n in range(1, 6)},
        "by_platform": by_platform,
        "unanswered": unanswered,
        "summary": summary,
    }


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


@agent.tool(
    "draft_review_response",
    RecordId(),
    "Draft a reply to one review, from its rating, comment and reviewer and the business name. "
    "The draft is NOT saved; show it to the user.",
)
def draft_review_response(ctx: ToolContext, args: dict) -> dict:
    review = fetch(ctx, "reviews", args["id"], "review")
    draft = draft_reply(review, business_profile(ctx.store) or {})
    return {
        "review": review,
        "draft": draft,
        "saved": False,
        "summary": f"Drafted a reply to {label(review)} (not saved)",
    }


@agent.tool(
    "save_review_response",
    ResponseInput(),
    "Save the reply to a review (replaces any earlier reply) and record when it was made.",
)
def save_review_response(ctx: ToolContext, args: dict) -> dict:
    fetch(ctx, "reviews", args["id"], "review")
    review = ctx.store.update_record(
        "reviews", str(args["id"]), {"response": args["response"], "responded_at": now_iso()}
    )
    return {"review": review, "summary": f"Saved the reply to {label(review)}"}
