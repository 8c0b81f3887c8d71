"""Model tokens used: the caller's totals by day and by month, and the monthly quota.

Each answer's tokens are kept in a row of their own (`token_usage`, written with the answer),
which deleting its conversation leaves in place: the quota cannot be reset by deleting
conversations. Months are calendar months in UTC. With `USER_MONTHLY_TOKEN_QUOTA` set, a send is
refused with 429 QUOTA_EXCEEDED once the month's input and output tokens reach it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime
from functools import wraps

from flask import Blueprint, current_app
from marshmallow import fields, validate

from ..auth import require_auth
from ..errors import AppError
from ..extensions import user_store
from ..openapi import ResponseSchema
from .decorators import query, response
from .schemas import QuerySchema

bp = Blueprint("usage", __name__, url_prefix="/api/usage")


def month_start(moment: datetime, months_back: int = 0) -> datetime:
    """Midnight UTC on the first day of `moment`'s month, `months_back` months earlier."""
    index = moment.year * 12 + moment.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def next_month(moment: datetime) -> datetime:
    return month_start(moment, -1)


def _totals(rows: list[dict], key) -> list[dict]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = sums[key(row["created_at"])]
        counts[0] += int(row["input_tokens"])
        counts[1] += int(row["output_tokens"])
    return [
        {"period": period, "input_tokens": i, "output_tokens": o, "total_tokens": i + o}
        for period, (i, o) in sorted(sums.items())
    ]


def _tokens(rows: list[dict]) -> int:
    return sum(int(row["input_tokens"]) + int(row["output_tokens"]) for row in rows)


def used_this_month(now: datetime) -> int:
    """The caller's input and output tokens since the start of this month."""
    return _tokens(user_store().token_usage(month_start(now).isoformat()))


def within_token_quota(view):
    """Refuse a send once the caller has used USER_MONTHLY_TOKEN_QUOTA this month (429
    QUOTA_EXCEEDED, with when the quota resets); no quota set, no check (after auth)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        quota = current_app.config["USER_MONTHLY_TOKEN_QUOTA"]
        if quota:
            now = datetime.now(UTC)
            used = used_this_month(now)
            if used >= quota:
                resets = next_month(now)
                raise AppError(
                    "QUOTA_EXCEEDED",
                    details={"quota": quota, "used": used, "resets_at": resets.isoformat()},
                    headers={"Retry-After": str(math.ceil((resets - now).total_seconds()))},
                )
        return view(*args, **kwargs)

    return wrapper


class UsageQuery(QuerySchema):
    months = fields.Integer(
        load_default=1,
        validate=validate.Range(1, 12),
        metadata={"description": "How many calendar months, this one included (1 to 12)."},
    )


class PeriodTokens(ResponseSchema):
    period = fields.String(metadata={"description": "A day (2026-12-03) or a month (2026-12)."})
    input_tokens = fields.Integer()
    output_tokens = fields.Integer()
    total_tokens = fields.Integer()


class TokenUsageSchema(ResponseSchema):
    since = fields.String(metadata={"description": "The first instant counted (UTC)."})
    months = fields.List(fields.Nested(PeriodTokens), metadata={"description": "Oldest first."})
    days = fields.List(fields.Nested(PeriodTokens), metadata={"description": "Days with use."})
    quota = fields.Integer(
        allow_none=True, metadata={"description": "Tokens a month (USER_MONTHLY_TOKEN_QUOTA)."}
    )
    used_this_month = fields.Integer()
    remaining_this_month = fields.Integer(allow_none=True)
    resets_at = fields.String(metadata={"description": "When this month's count starts over."})


@bp.get("")
@require_auth
@query(UsageQuery())
@response(TokenUsageSchema())
def usage(query):
    """The caller's model tokens by day and by month (UTC), and the monthly quota."""
    now = datetime.now(UTC)
    since = month_start(now, query["months"] - 1)
    rows = user_store().token_usage(since.isoformat())
    current = month_start(now).isoformat()
    used = _tokens([row for row in rows if row["created_at"] >= current])
    quota = current_app.config["USER_MONTHLY_TOKEN_QUOTA"] or None
    return {
        "since": since.isoformat(),
        "months": _totals(rows, lambda created: created[:7]),
        "days": _totals(rows, lambda created: created[:10]),
        "quota": quota,
        "used_this_month": used,
        "remaining_this_month": max(0, quota - used) if quota else None,
        "resets_at": next_month(now).isoformat(),
    }
