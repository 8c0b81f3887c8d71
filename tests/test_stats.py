"""Periods and chartable figures (canvalo_app/agents/stats.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from marshmallow import ValidationError

from canvalo_app.agents.stats import (
    PERIODS,
    UNITS,
    PeriodInput,
    breakdown,
    named_period,
    number,
    period_of,
    series,
    stat_events,
)
from tests.conftest import BOTH_STORES
from tests.helpers import assistant_row, send, stream_events

D = date.fromisoformat


@pytest.mark.parametrize(
    "name, today, start, end, label",
    [
        ("this_month", "2026-02-14", "2026-02-01", "2026-02-28", "February 2026"),
        ("this_month", "2028-02-29", "2028-02-01", "2028-02-29", "February 2028"),
        ("last_month", "2026-01-10", "2025-12-01", "2025-12-31", "December 2025"),
        ("last_month", "2026-03-31", "2026-02-01", "2026-02-28", "February 2026"),
        ("this_quarter", "2026-05-05", "2026-04-01", "2026-06-30", "Q2 2026"),
        ("last_quarter", "2026-02-01", "2025-10-01", "2025-12-31", "Q4 2025"),
        ("last_quarter", "2026-12-31", "2026-07-01", "2026-09-30", "Q3 2026"),
        ("this_year", "2026-07-04", "2026-01-01", "2026-12-31", "2026"),
        ("last_year", "2026-07-04", "2025-01-01", "2025-12-31", "2025"),
        ("year_to_date", "2026-07-04", "2026-01-01", "2026-07-04", "2026 to date"),
        ("last_30_days", "2026-03-01", "2026-01-31", "2026-03-01", "last 30 days"),
        ("last_90_days", "2026-03-31", "2026-01-01", "2026-03-31", "last 90 days"),
    ],
)
def test_named_periods(name, today, start, end, label):
    period = named_period(name, D(today))
    assert (period.start, period.end, period.label) == (D(start), D(end), label)
    assert (period.end - period.start).days >= 0


def test_all_time_is_unbounded_and_every_name_resolves():
    forever = named_period("all_time", D("2026-01-01"))
    assert (forever.start, forever.end) == (None, None) and forever.contains(D("1999-01-01"))
    for name in PERIODS:
        named_period(name, D("2026-01-01"))


def test_contains_takes_the_businesss_days_only():
    march = named_period("this_month", D("2026-03-10"))
    assert march.contains(D("2026-03-01")) and march.contains(D("2026-03-31"))
    assert not march.contains(D("2026-04-01")) and not march.contains(None)
    assert march.as_dict() == {"label": "March 2026", "start": "2026-03-01", "end": "2026-03-31"}
    # 1 April 01:00 UTC is still 31 March in New York: an instant's UTC date is not the
    # business's day, so contains takes no instants (figures.local_day makes the day).
    with pytest.raises(TypeError):
        march.contains("2026-04-01T01:00:00+00:00")


def test_a_period_by_name_or_by_dates_not_both():
    schema = PeriodInput()
    assert period_of(schema.load({}), D("2026-03-10")).label == "March 2026"
    assert period_of(schema.load({}), D("2026-03-10"), "this_year").label == "2026"
    dated = period_of(schema.load({"start": "2026-01-05"}), D("2026-03-10"))
    assert (dated.start, dated.end) == (D("2026-01-05"), D("2026-03-10"))
    with pytest.raises(ValidationError, match="not both"):
        schema.load({"period": "this_month", "start": "2026-01-01"})
    with pytest.raises(ValidationError, match="before the start"):
        schema.load({"start": "2026-02-01", "end": "2026-01-01"})
    with pytest.raises(ValidationError):
        schema.load({"period": "next_century"})
    with pytest.raises(ValidationError):
        schema.load({"start": "2026-02-30"})  # no such day


def test_a_start_alone_runs_to_today_and_may_not_be_after_it():
    schema, today = PeriodInput(), D("2026-03-10")
    one_day = period_of(schema.load({"start": "2026-03-10"}), today)
    assert (one_day.start, one_day.end) == (today, today)
    ahead = period_of(schema.load({"start": "2026-04-01", "end": "2026-04-30"}), today)
    assert (ahead.start, ahead.end) == (D("2026-04-01"), D("2026-04-30"))
    with pytest.raises(ValidationError) as refused:
        period_of(schema.load({"start": "2026-03-11"}), today)
    assert refused.value.messages == {
        "start": [
            "The start (2026-03-11) is after today (2026-03-10): give an end date as well, "
            "or a start on or before today."
        ]
    }


def test_figures_and_their_events():
    quarter = named_period("this_quarter", D("2026-05-05"))
    result = {
        "stat_data": [
            number("Revenue collected", 1250.5, "usd", quarter),
            series("Reviews by month", [("2026-04", 3), ("2026-05", 5)], "count"),
            breakdown("Invoices by status", [("paid", 4), ("overdue", 1)], "count"),
        ]
    }
    events = stat_events("revenue_report", "invoices", result)
    assert [kind for kind, _ in events] == ["stat_data"] * 3
    first = events[0][1]
    assert first == {
        "tool_name": "revenue_report",
        "agent_type": "invoices",
        "title": "Revenue collected",
        "kind": "number",
        "values": [{"label": "Revenue collected", "value": 1250.5, "unit": "usd"}],
        "period": {"label": "Q2 2026", "start": "2026-04-01", "end": "2026-06-30"},
    }
    assert events[1][1]["values"][1] == {"label": "2026-05", "value": 5, "unit": "count"}
    assert events[2][1]["kind"] == "breakdown" and events[2][1]["period"] is None
    assert stat_events("x", "invoices", {"summary": "no figures"}) == []
    with pytest.raises(ValueError):
        number("Oops", 1, "furlongs")


# Through the chat, with the offline model and the demo business, on both stores -----------


@BOTH_STORES
def test_figures_stream_as_stat_data_and_stay_with_the_answer(client, users, live):
    events_ = stream_events(send(client, users.a, "How is the business doing overall?"))
    stats = [e for e in events_ if e["type"] == "stat_data"]
    assert stats and {e["tool_name"] for e in stats} == {"business_overview"}
    results = [i for i, e in enumerate(events_) if e["type"] == "tool_result"]
    assert events_.index(stats[0]) > results[0]  # after the tool's own result
    for stat in stats:
        assert stat["kind"] in ("number", "series", "breakdown") and stat["values"]
        assert all(v["unit"] in UNITS for v in stat["values"])
    answer = assistant_row(client, users.a, events_[0]["conversation_id"])
    kept = [{k: v for k, v in e.items() if k not in ("type", "_id")} for e in stats]
    assert answer["metadata"]["stat_data"] == kept


@BOTH_STORES
def test_the_ai_sdk_stream_carries_figures_as_data_stat_parts(client, users, live):
    body = {
        "id": "overview-chat",
        "messages": [
            {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "How is business?"}]}
        ],
    }
    answer = client.post("/api/chat/ui", json=body, headers=users.a)
    chunks = [
        json.loads(line[6:])
        for line in answer.get_data(as_text=True).splitlines()
        if line.startswith("data: {")
    ]
    parts = [c for c in chunks if c["type"] == "data-stat"]
    assert parts and all(p["data"]["tool_name"] == "business_overview" for p in parts)
    assert {"title", "kind", "values", "period", "agent_type"} <= set(parts[0]["data"])
