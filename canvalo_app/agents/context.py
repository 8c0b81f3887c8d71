"""What the model is told: the stored history within a token budget, older turns folded
into a summary, and the user's business profile with today's date in its time zone."""

from __future__ import annotations

from datetime import date, datetime

from ..store.base import Filter, UserStore
from .memory import said, split_history
from .summary import SUMMARY_CHARS, stored_summary
from .tools import ToolContext
from .zone import business_zone

#: Stands for an answer that produced no text (it failed, or was stopped at once), so that
#: roles still alternate and no user message is merged into the next.
NO_ANSWER = "(No answer: that reply failed before it said anything.)"


def _converse(rows: list[dict]) -> list[dict]:
    """Rows as Converse messages: alternating roles, starting and ending with the user. An
    assistant row without text (a failed turn) is a short marker; two user messages in a row
    (an answer that was never stored) get a marker between them, never merged."""
    messages: list[dict] = []
    for row in rows:
        text = said(row)
        if row["role"] == "assistant" and not text.strip():
            text = NO_ANSWER
        elif not text.strip():
            continue
        if messages and messages[-1]["role"] == row["role"]:
            if row["role"] == "user":
                messages.append({"role": "assistant", "content": [{"text": NO_ANSWER}]})
            else:
                messages[-1]["content"][0]["text"] += "\n\n" + text
                continue
        messages.append({"role": row["role"], "content": [{"text": text}]})
    while messages and messages[0]["role"] != "user":
        messages.pop(0)
    return messages


def history(
    store: UserStore, conversation_id: str, skip_id: str, budget: int
) -> tuple[list[dict], str]:
    """The newest messages that fit `budget` tokens, and a summary of the older ones: the
    one the model wrote (agents/summary.py), then the turns it does not cover yet, cut short.
    The messages are those of the branch that ends at the turn's own answer `skip_id`, and
    only those: other versions of a message never reach the model."""
    branch = store.recent_messages(conversation_id, 200, through=skip_id)
    rows = [r for r in branch if r["id"] != skip_id]
    kept, older = split_history(rows, budget)
    if not older:
        return _converse(kept), ""
    written, until = stored_summary(rows)
    lines = [
        f"- {r['role']}: {' '.join(r['content'].split())[:160]}"
        for r in older
        if r["content"].strip() and r["created_at"] > until
    ]
    summary = "Earlier in this conversation (summarised):\n" + "\n".join(
        ([written] if written else []) + lines
    )
    return _converse(kept), summary[:SUMMARY_CHARS]


def today_for(profile: dict | None) -> date:
    """Today's date where the business is."""
    return datetime.now(business_zone(profile)).date()


def business_profile(store: UserStore) -> dict | None:
    """The user's business profile row, or None before one is set up."""
    rows = store.list_records("business_settings", limit=1)
    return rows[0] if rows else None


def describe_business(store: UserStore, profile: dict | None) -> str:
    """The business profile and active goals, as a few lines for the system prompt."""
    if profile is None:
        return "The business has not filled in its profile yet."
    parts = [
        f"Business: {profile.get('business_name') or 'unnamed'}"
        f" (owner {profile.get('owner_name') or 'unknown'})."
    ]
    if profile.get("services"):
        parts.append(f"Services: {profile['services']}.")
    parts.append(
        f"Working hours {profile['working_hours_start']}–{profile['working_hours_end']}"
        f" ({profile['timezone']}); default tax rate {profile['default_tax_rate']}%;"
        f" payment terms {profile['payment_terms_days']} days."
    )
    goals = store.list_records("goals", filters=[Filter("status", "eq", "active")], limit=10)
    if goals:
        parts.append(
            "Active goals: "
            + "; ".join(
                f"{g['title']} ({g['current_value']:g} of {g['target_value']:g})" for g in goals
            )
            + "."
        )
    return " ".join(parts)


def system_preamble(store: UserStore, profile: dict | None, today: date) -> str:
    return (
        f"Today is {today.isoformat()} ({today:%A}). Times are the business's local time "
        f"({business_zone(profile).key}).\n{describe_business(store, profile)}"
    )


def tool_context(
    store: UserStore,
    config: dict,
    conversation_id: str,
    message_id: str,
    profile: dict | None = None,
) -> ToolContext:
    """What the tools of a turn get: the caller's store, the business's date and time zone,
    and where a confirmation is asked (the turn's conversation and message). The profile is
    read when not given."""
    profile = business_profile(store) if profile is None else profile
    return ToolContext(
        store,
        today_for(profile),
        conversation_id,
        message_id,
        config["ACTION_TTL_SECONDS"],
        business_zone(profile),
    )
