"""Offline rules for the invoices agent's money coming in: revenue over a period, payments
received and how they were paid, and the period words such questions use.

Understands, for example: "how much revenue did I collect this month?", "revenue last
quarter", "what did I invoice this year?", "show payments received last month", "show the
payments on INV-1001", and the method in "mark INV-1002 paid by check".
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ...agents.formatting import day, money, plural
from ..dates import MONTHS

# fmt: off
#: Period words and the named period they mean, the more specific first.
PERIOD_WORDS = [
    (r"\b(?:year\s+to\s+date|ytd|so\s+far\s+this\s+year)\b", "year_to_date"),
    (r"\b(?:this|current)\s+month\b|\bmonth\s+to\s+date\b", "this_month"),
    (r"\b(?:last|previous)\s+month\b", "last_month"),
    (r"\b(?:this|current)\s+quarter\b", "this_quarter"),
    (r"\b(?:last|previous)\s+quarter\b", "last_quarter"),
    (r"\b(?:this|current)\s+year\b", "this_year"),
    (r"\b(?:last|previous)\s+year\b", "last_year"),
    (r"\b(?:last|past)\s+30\s+days\b", "last_30_days"),
    (r"\b(?:last|past)\s+(?:90\s+days|3\s+months|three\s+months)\b", "last_90_days"),
    (r"\b(?:all\s+time|ever|in\s+total)\b", "all_time"),
]
METHODS = [
    (r"\b(?:check|cheque)\b", "check"),
    (r"\bcash\b", "cash"),
    (r"\b(?:card|visa|mastercard|amex)\b", "card"),
    (r"\b(?:bank\s+transfer|transfer|wire|ach|direct\s+deposit)\b", "bank_transfer"),
]
# fmt: on
_IN_MONTH = re.compile(rf"\b(?:in|during|for)\s+({'|'.join(MONTHS)})\b(?:\s+(\d{{4}}))?", re.I)
_REVENUE = re.compile(r"\b(?:revenue|income|earn(?:ed|ings)?|turnover)\b", re.I)
_BROUGHT_IN = re.compile(r"\b(?:collect(?:ed)?|brought\s+in|bring\s+in|made|invoiced?)\b", re.I)
_PAYMENTS = re.compile(r"\bpayments\b", re.I)


def period_args(text: str, today: date) -> dict:
    """The period the words name, as a period input: {"period": "last_quarter"}, or a
    month's dates for "in October" (the last October not in the future); {} for none."""
    for pattern, name in PERIOD_WORDS:
        if re.search(pattern, text, re.I):
            return {"period": name}
    if match := _IN_MONTH.search(text):
        month = MONTHS.index(match[1].lower()) + 1
        year = int(match[2]) if match[2] else today.year - (month > today.month)
        following = date(year + month // 12, month % 12 + 1, 1)
        start, end = date(year, month, 1), following - timedelta(days=1)
        return {"start": start.isoformat(), "end": end.isoformat()}
    return {}


def method(text: str) -> str | None:
    """How the words say a payment was made: "paid by check", "in cash"."""
    return next((name for pattern, name in METHODS if re.search(pattern, text, re.I)), None)


def names_period(text: str) -> bool:
    return _IN_MONTH.search(text) is not None or any(
        re.search(pattern, text, re.I) for pattern, _ in PERIOD_WORDS
    )


def asks_revenue(text: str) -> bool:
    """Revenue words, or money brought in over a named period ("what did I collect last
    month?"; "how much have I collected?" alone is what `invoice_totals` answers)."""
    return bool(_REVENUE.search(text) or (_BROUGHT_IN.search(text) and names_period(text)))


def asks_payments(text: str) -> bool:
    return bool(_PAYMENTS.search(text))


# Answers ---------------------------------------------------------------------------------
def revenue_answer(result: dict, text: str) -> str:
    period = result["period"]["label"]
    head = (
        f"In {period} you invoiced {money(result['invoiced'])} "
        f"({plural(result['invoice_count'], 'invoice')}) and collected "
        f"{money(result['collected'])} ({plural(result['payment_count'], 'payment')})."
    )
    months = [
        f"- {row['month']}: {money(row['invoiced'])} invoiced, {money(row['collected'])} collected"
        for row in result["by_month"]
    ]
    return "\n".join([head, *months])


def said_method(name: str) -> str:
    return "" if name == "other" else f" by {name.replace('_', ' ')}"


def payments_answer(result: dict, text: str) -> str:
    period = result["period"]["label"]
    if not result["count"]:
        return f"No payments were recorded ({period})."
    lines = [
        f"- {day(row['paid_on'])}: {money(row['amount'])}{said_method(row['method'])} on "
        f"{row['invoice_number']}"
        for row in result["payments"]
    ]
    head = (
        f"You received {plural(result['count'], 'payment')} totalling "
        f"{money(result['total'])} ({period}):"
    )
    if result["cut"]:
        head = f"{result['summary']}. The newest:"
    return "\n".join([head, *lines])
