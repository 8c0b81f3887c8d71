"""Offline rules for the campaigns agent: results, listings, scheduling, sending, cancelling.

Understands, for example: "how did my spring campaign do?", "show campaign metrics",
"what's the open rate of the holiday campaign?", "show my scheduled campaigns",
"list my sms campaigns", "send the holiday campaign" (or by its name: "send the holiday
touch-up reminder now"), "cancel the holiday campaign" and "schedule the cabinet campaign for
December 1 at 10am" (sending, cancelling and scheduling wait for confirmation in the app).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from ...agents.domains.campaigns import CHANNELS, STATUSES
from ...agents.formatting import day, money, plural
from ..dates import find_date, find_time
from ..parse import quoted, status_in
from . import Call, Step, failed, find_then_act, not_one, records

CHANNEL_WORDS = {
    "text": "sms",
    "texts": "sms",
    "social media": "social",
    "mailer": "direct_mail",
    "postcard": "direct_mail",
    "postcards": "direct_mail",
    "direct mail": "direct_mail",
}
STATUS_WORDS = {"drafts": "draft", "upcoming": "scheduled", "running": "active"}
DEFAULT_SEND_TIME = time(9, 0)

_CANCEL = re.compile(r"\b(?:cancel|call\s+off)\b", re.I)
_SEND = re.compile(r"\bsend\b", re.I)
_SCHEDULE = re.compile(r"\b(?:re)?schedule\b", re.I)
_METRICS = re.compile(
    r"\b(?:metrics|how\s+(?:did|is|are|was|were)|how's|perform\w*|results?|open\s+rate|"
    r"click\s+rate|conversions?|roi|stats|doing)\b",
    re.I,
)
_CALLED = re.compile(r"\bcampaign\s+(?:called|named)\s+(.+?)[.?!]*$", re.I)
_UP_TO_CAMPAIGN = re.compile(r"^(.*?)\bcampaigns?\b", re.I)
#: "send the holiday touch-up reminder now": a campaign named without the word "campaign".
_SEND_NAMED = re.compile(
    r"\bsend\s+(?:out\s+)?(?:the|my|our)\s+(.+?)(?:\s+(?:out|now|today|right\s+away))*[.?!]*$",
    re.I,
)
_LEAD_WORDS = frozenset(("the", "my", "our", "this", "that", "of", "for", "about"))


def words_before_campaign(text: str) -> str | None:
    """The words between "campaign" and the nearest "the/my/our/of..." before it: "how did
    my spring campaign do" gives "spring"."""
    match = _UP_TO_CAMPAIGN.search(text)
    words = match[1].split() if match else []
    leads = [i for i, word in enumerate(words) if word.lower() in _LEAD_WORDS]
    if not leads:
        return None
    return " ".join(words[leads[-1] + 1 :]) or None


def campaign_hint(text: str) -> str | None:
    """The words naming a campaign: quoted, "campaign called X", or "the X campaign"."""
    called, named = _CALLED.search(text), _SEND_NAMED.search(text)
    hint = quoted(text) or (called[1].strip() if called else words_before_campaign(text))
    if not hint and named and not _UP_TO_CAMPAIGN.search(text):
        hint = named[1]
    if hint and status_in(hint, CHANNELS + STATUSES, CHANNEL_WORDS | STATUS_WORDS) is None:
        return hint
    return None


_CREATE = re.compile(r"\b(?:create|new|start|set\s+up)\b.*\bcampaign\b", re.I)
INTENTS = (
    ("delete", records.DELETE),
    ("create", _CREATE),
    ("cancel", _CANCEL),
    ("send", _SEND),
    ("schedule", _SCHEDULE),
    ("metrics", _METRICS),
)
#: The fields "rename the cabinet campaign to Cabinet makeover" and the like change.
EDITS = [
    records.Edit("name", re.compile(r"\brename\b|\bname\b", re.I), records.words_after_to),
    records.Edit("budget", re.compile(r"\bbudget\b", re.I), records.money_after_to),
    records.Edit("subject", re.compile(r"\bsubject\b", re.I), records.words_after_to),
]
#: Intents that first find one campaign, then act on it.
ACTIONS = ("cancel", "send", "schedule")


def intent(text: str) -> str:
    return next((kind for kind, pattern in INTENTS if pattern.search(text)), "list")


def send_at(text: str, today: date) -> str | None:
    """When to send, in ISO form without an offset (the business's wall-clock time): the date
    named, at the time named or else 9:00."""
    when = find_date(text, today)
    if when is None:
        return None
    return datetime.combine(when, find_time(text) or DEFAULT_SEND_TIME).isoformat()


def act(kind: str, text: str, campaign: dict, today: date) -> Call:
    if kind in ("cancel", "send"):
        return f"{kind}_campaign", {"id": campaign["id"]}
    return "schedule_campaign", {"id": campaign["id"], "scheduled_at": send_at(text, today)}


def list_args(text: str) -> dict:
    found = {
        "channel": status_in(text, CHANNELS, CHANNEL_WORDS),
        "status": status_in(text, STATUSES, STATUS_WORDS),
    }
    return {"limit": 20, **{key: value for key, value in found.items() if value}}


def create_args(text: str) -> dict | None:
    """A new campaign: "create an email campaign called Spring refresh"."""
    called = _CALLED.search(text)
    if not called:
        return None
    channel = status_in(text, CHANNELS, CHANNEL_WORDS)
    return {"name": called[1].strip()} | ({"channel": channel} if channel else {})


def record_plan(kind: str, text: str, today: date) -> tuple[str, dict] | None:
    """Deleting one campaign, showing it in full or changing its name, budget or subject."""
    if kind == "delete":
        return "delete", {}
    return records.record_kind(text, today, EDITS) if kind in ("list", "metrics") else None


def next_calls(text: str, steps: list[Step], today: date) -> list[Call]:
    kind, hint = intent(text), campaign_hint(text)
    if (plan := record_plan(kind, text, today)) and hint:
        find = ("list_campaigns", {"search": hint, "limit": 5})
        return records.record_calls(plan[0], "campaign", steps, find, plan[1])
    if kind == "create":
        args = None if steps else create_args(text)
        return [("create_campaign", args)] if args else []
    if kind in ACTIONS:
        if not hint or (kind == "schedule" and not send_at(text, today)):
            return []  # the answer asks which campaign, or when
        find = ("list_campaigns", {"search": hint, "limit": 5})
        return find_then_act(steps, find, "campaigns", lambda c: act(kind, text, c, today))
    if steps:
        return []
    if kind == "metrics":
        return [("campaign_metrics", {"name": hint} if hint else {})]
    return [("list_campaigns", list_args(text))]


# Answers ---------------------------------------------------------------------------------
def describe(campaign: dict) -> str:
    return f"“{campaign['name']}” ({campaign['channel']}, {campaign['status']})"


def results(row: dict) -> str:
    """One campaign's (or the totals') numbers as a sentence fragment."""
    if not row["recipients"]:
        return "no results yet"
    cost = row["cost_per_conversion"]
    return (
        f"{row['recipients']:,} recipients, {row['opens']:,} opens ({row['open_rate_pct']}% "
        f"open rate), {row['clicks']:,} clicks ({row['click_rate_pct']}%), "
        f"{row['conversions']:,} conversions ({row['conversion_rate_pct']}%); "
        f"{money(row['spent'])} spent, "
        + (f"{money(cost)} per conversion" if cost is not None else "no conversions yet")
    )


def metrics_answer(result: dict, text: str) -> str:
    rows = result["campaigns"]
    if not rows:
        hint = campaign_hint(text)
        if hint:
            return f"I couldn't find a campaign matching “{hint}”."
        return "You don't have any campaigns yet."
    if len(rows) == 1:
        return f"Here's how {describe(rows[0])} did: {results(rows[0])}."
    lines = [f"- {describe(row)}: {results(row)}." for row in rows]
    return (
        f"Results for your {len(rows)} campaigns:\n"
        + "\n".join(lines)
        + f"\nAll together: {results(result['totals'])}."
    )


def when(campaign: dict) -> str:
    if campaign["sent_at"]:
        return f", sent {day(campaign['sent_at'])}"
    if campaign["scheduled_at"]:
        return f", scheduled for {day(campaign['scheduled_at'])}"
    return ""


def list_answer(result: dict, text: str) -> str:
    rows = result["campaigns"]
    if not rows:
        return "I found no campaigns matching that."
    lines = "\n".join(f"- {describe(row)}{when(row)}" for row in rows)
    total = result["total"]
    return f"You have {plural(total, 'matching campaign')}:\n{lines}"


ANSWERS = {
    "campaign_metrics": metrics_answer,
    "list_campaigns": list_answer,
}


def answer(text: str, steps: list[Step], today: date) -> str:
    kind, hint = intent(text), campaign_hint(text)
    if steps and record_plan(kind, text, today):
        return records.record_answer(steps, "campaign", hint or "", describe)
    if kind == "create":
        created = steps[-1].result.get("summary") if steps else None
        return f"Done: {created}." if created else "What should the new campaign be called?"
    if kind in ACTIONS and not hint:
        return f"Which campaign should I {kind}? Tell me its name."
    if kind == "schedule" and not steps:
        return f"When should “{hint}” go out? Give me a date (and a time if you like)."
    if not steps:
        return "I can show your campaigns and their results, and schedule, send or cancel them."
    last = steps[-1]
    if last.status == "pending_confirmation" and kind == "send":
        return (
            f"I've prepared this: {last.result['summary']}. Nothing is sent until you "
            "confirm it in the app."
        )
    if last.status != "ok":
        return failed(last)
    acting = kind in ACTIONS and len(steps) == 1
    if acting and (missing := not_one(last, "campaigns", "campaign", hint, describe)):
        return missing
    return ANSWERS.get(last.name, lambda result, _: result.get("summary", "Done."))(
        last.result, text
    )
