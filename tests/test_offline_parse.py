"""The offline model's extraction and phrasing helpers, on tables of real phrasings."""

from __future__ import annotations

from datetime import date, time

import pytest

from canvalo_app.devmodel import dates, parse, rules
from canvalo_app.devmodel.rules import Step

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,250", [1250.0]),
        ("$1,250.50 for trim", [1250.5]),
        ("1250 dollars", [1250.0]),
        ("$3.5k", [3500.0]),
        ("$2K deposit and 20 bucks", [2000.0, 20.0]),
        ("$1,250, $300 and $45.99", [1250.0, 300.0, 45.99]),
        ("record a $500 payment on INV-1003", [500.0]),
        ("the next 3 days at 10am on 12/15", []),
    ],
)
def test_amounts(text, expected):
    assert parse.amounts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7%", 7.0), ("tax 7.5 percent", 7.5), ("at 8 pct", 8.0), ("about $7", None)],
)
def test_percent(text, expected):
    assert parse.percent(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("tomorrow morning", date(2026, 11, 24)),
        ("yesterday", date(2026, 11, 22)),
        ("Tuesday", date(2026, 11, 24)),
        ("this Friday", date(2026, 11, 27)),
        ("on monday", date(2026, 11, 30)),  # today is excluded
        ("next Tuesday", date(2026, 12, 1)),  # the Tuesday of next week
        ("next Monday", date(2026, 11, 30)),
        ("in 3 days", date(2026, 11, 26)),
        ("in two weeks", date(2026, 12, 7)),
        ("next week", date(2026, 11, 30)),
        ("2026-12-15", date(2026, 12, 15)),
        ("12/15", date(2026, 12, 15)),
        ("1/5", date(2027, 1, 5)),  # passed this year: next year
        ("11/23", TODAY),  # today has not passed
        ("12/15/2027", date(2027, 12, 15)),
        ("Dec 15", date(2026, 12, 15)),
        ("December 15th", date(2026, 12, 15)),
        ("15 December", date(2026, 12, 15)),
        ("the 3rd of March, 2027", date(2027, 3, 3)),
        ("book Maria Lopez for next Tuesday at 10am", date(2026, 12, 1)),
        ("Feb 30", None),
        ("13/45", None),
        ("$1,250 for trim painting", None),
        ("INV-1002", None),
        ("this week", None),
    ],
)
def test_find_date(text, expected):
    assert dates.find_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("book Maria for February 30 at 9", "February 30"),
        ("on 31 April", "31 April"),
        ("the 31st of April, 2027", "31st of April, 2027"),
        ("13/45", "13/45"),
        ("2/30/2027 at 10", "2/30/2027"),
        ("2027-02-29", "2027-02-29"),
        ("Feb. 30th", "Feb. 30th"),
        ("book Maria for Feb 28 at 9", None),
        ("12/15/2026", None),
        ("next Tuesday at 10am", None),
        ("at 9 for 90 minutes", None),
    ],
)
def test_impossible_date(text, expected):
    """A day that does not exist is named, so it can be questioned; `find_date` skips it."""
    assert dates.impossible_date(text, TODAY) == expected
    if expected:
        assert dates.find_date(expected, TODAY) is None


def test_next_weekday_from_a_sunday_is_the_coming_one():
    sunday = date(2026, 11, 29)
    assert dates.find_date("next Tuesday", sunday) == dates.find_date("Tuesday", sunday)
    assert dates.find_date("Tuesday", sunday) == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 9", time(9)),
        ("at 3", time(15)),  # 1-6 without am/pm is afternoon
        ("at 12", time(12)),
        ("10am", time(10)),
        ("at 10 a.m.", time(10)),
        ("9:30 pm", time(21, 30)),
        ("12am", time(0)),
        ("14:00", time(14)),
        ("2:15", time(14, 15)),
        ("noon", time(12)),
        ("tomorrow at 7 o'clock", time(7)),
        ("on 12/15", None),
        ("$3.5k", None),
        ("13pm", None),
    ],
)
def test_find_time(text, expected):
    assert dates.find_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("for 2 hours", 120),
        ("90 minutes", 90),
        ("an hour", 60),
        ("half an hour", 30),
        ("1.5 hours", 90),
        ("an hour and a half", 90),
        ("2 hours 30 minutes", 150),
        ("for 45 mins", 45),
        ("in 3 days", None),
    ],
)
def test_find_duration_minutes(text, expected):
    assert dates.find_duration_minutes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Book Maria Lopez for next Tuesday at 10am", ["Maria Lopez"]),
        ("Mark the Henderson invoice paid", ["Henderson"]),
        ("Find Maria's phone number", ["Maria"]),
        ("Invoice the Smith project and schedule the final walk-through", ["Smith"]),
        ("Add a contact Jane Doe, jane@example.com, lead", ["Jane Doe"]),
        ("How much does Smith Dental owe?", ["Smith Dental"]),
        ("Show the review from Mark Ellis", ["Mark Ellis"]),  # "Mark" mid-sentence is a name
        ("Thanks. Mark it paid", []),
        ("What's on my calendar this Friday in December?", []),
        ("Record a $500 payment on INV-1003", []),
        ("Ask McDonald and O'Brien", ["McDonald", "O'Brien"]),
        ("Maria and Tom and Maria", ["Maria", "Tom"]),
    ],
)
def test_names(text, expected):
    assert parse.names(text) == expected


@pytest.mark.parametrize(
    ("function", "text", "expected"),
    [
        (parse.invoice_number, "record $5 on inv-1002", "INV-1002"),
        (parse.invoice_number, "invoice INV 0999", "INV-0999"),
        (parse.invoice_number, "the inventory 1234", None),
        (parse.proposal_number, "mark pro-201 accepted", "PRO-201"),
        (parse.proposal_number, "a pro job", None),
        (parse.quoted, 'call it "Deck job"', "Deck job"),
        (parse.quoted, "call it 'Deck job' please", "Deck job"),
        (parse.quoted, "call it “Deck job”", "Deck job"),
        (parse.quoted, "what's Maria's number", None),
        (parse.email, "Jane, jane.doe+x@example.co.uk, lead", "jane.doe+x@example.co.uk"),
        (parse.email, "no address", None),
        (parse.phone, "call 555-0101 now", "555-0101"),
        (parse.phone, "(555) 123-4567", "(555) 123-4567"),
        (parse.phone, "+1 555 123 4567", "+1 555 123 4567"),
        (parse.phone, "due 2026-12-15 on INV-1002", None),
    ],
)
def test_document_numbers_quotes_and_addresses(function, text, expected):
    assert function(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show unpaid invoices", "sent"),
        ("which are late", "overdue"),
        ("projects in progress", "in_progress"),
        ("in-progress projects", "in_progress"),
        ("paid or sent", "paid"),  # the first one named
        ("the unpaid ones, not draft", "sent"),
        ("nothing here", None),
    ],
)
def test_status_in(text, expected):
    choices = ("draft", "sent", "paid", "overdue", "in_progress")
    assert parse.status_in(text, choices, {"unpaid": "sent", "late": "overdue"}) == expected


@pytest.mark.parametrize(
    ("text", "client", "expected"),
    [
        (
            "create an invoice for Nina Brooks for $1,250 for trim painting",
            "Nina Brooks",
            "Trim painting",
        ),
        ('bill Grace Kim $900 "Deck staining, two coats"', "Grace Kim", "Deck staining, two coats"),
        ("invoice Nina Brooks for $300 for touch-ups due Dec 15", "Nina Brooks", "Touch-ups"),
        ("invoice Nina Brooks $300", "Nina Brooks", "Painting services"),
    ],
)
def test_work(text, client, expected):
    assert parse.work(text, client) == expected


def test_unquoted():
    assert parse.unquoted('a "Title Here" for Jane').split() == ["a", "for", "Jane"]


def test_find_then_act_and_replies():
    find = ("list_invoices", {"search": "Henderson"})
    act = lambda row: ("mark_invoice_paid", {"invoice_id": row["id"]})  # noqa: E731
    assert rules.find_then_act([], find, "invoices", act) == [find]
    one = Step("list_invoices", {}, "ok", {"invoices": [{"id": "i1"}]})
    assert rules.find_then_act([one], find, "invoices", act) == [
        ("mark_invoice_paid", {"invoice_id": "i1"})
    ]
    two = Step("list_invoices", {}, "ok", {"invoices": [{"id": "i1"}, {"id": "i2"}]})
    none = Step("list_invoices", {}, "ok", {"invoices": []})
    assert rules.find_then_act([two], find, "invoices", act) == []
    assert rules.not_one(none, "invoices", "invoice", "Zed", str) == (
        "I couldn't find any invoice matching “Zed”."
    )
    assert rules.not_one(two, "invoices", "invoice", "Henderson", lambda r: r["id"]) == (
        "I found 2 invoices matching “Henderson”: i1; i2. Which one did you mean?"
    )
    assert rules.not_one(one, "invoices", "invoice", "Henderson", str) == ""
    pending = Step("delete_invoice", {}, "pending_confirmation", {"summary": "Delete INV-1"})
    assert rules.failed(pending) == (
        "I've asked you to confirm: Delete INV-1. Nothing changes until you confirm it in the app."
    )
    error = Step("record_payment", {}, "error", {"error": "INV-1 is cancelled."})
    assert rules.failed(error) == "I couldn't do that: INV-1 is cancelled."
