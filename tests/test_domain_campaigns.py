"""The campaigns agent: its tools on the real store, and through the chat with a scripted
model. The offline model's rules for it, and chats it answers end to end, are tested in
test_devmodel_campaigns.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from canvalo_app.agents.domains.campaigns import CONFIRM_LEAVING, STATUSES, TRANSITIONS, agent
from canvalo_app.agents.tools import execute, run_confirmed
from tests.agent_helpers import (
    assert_cancel_waits_for_confirmation,
    campaign_of,
    confirmation,
    refused,
    scripted_call,
)
from tests.conftest import BOTH_STORES, USER_A, USER_B
from tests.helpers import assert_error, send, stream_events
from tests.scripted_model import call, install, route, say


def since(stamp: str) -> timedelta:
    return datetime.now(UTC) - datetime.fromisoformat(stamp)


# Tools ------------------------------------------------------------------------------------
def test_metrics_of_one_campaign_are_exact(ctx, stores):
    spring = campaign_of(stores[0], "Spring")
    result = execute(agent, "campaign_metrics", {"id": spring["id"]}, ctx).result
    assert result["campaigns"] == [
        {
            "id": spring["id"],
            "name": "Spring exterior special",
            "channel": "email",
            "status": "sent",
            "recipients": 420,
            "opens": 189,
            "clicks": 46,
            "conversions": 7,
            "spent": 120.0,
            "open_rate_pct": 45.0,
            "click_rate_pct": 11.0,
            "conversion_rate_pct": 1.7,
            "cost_per_conversion": 17.14,
        }
    ]
    by_name = execute(agent, "campaign_metrics", {"name": "spring"}, ctx).result
    assert by_name["campaigns"] == result["campaigns"]


def test_metrics_guard_against_dividing_by_zero(ctx):
    result = execute(agent, "campaign_metrics", {}, ctx).result
    assert result["count"] == 3
    holiday = next(c for c in result["campaigns"] if c["name"].startswith("Holiday"))
    assert holiday["recipients"] == 0 and holiday["open_rate_pct"] is None
    assert holiday["cost_per_conversion"] is None
    assert result["totals"]["recipients"] == 420 and result["totals"]["spent"] == 120.0
    none = execute(agent, "campaign_metrics", {"name": "winter"}, ctx).result
    assert none["count"] == 0 and none["totals"]["open_rate_pct"] is None


def charted(rows: list[dict]) -> dict[str, dict]:
    """The stat_data of campaign_metrics for `rows`, computed here: counts, rates in percent
    of recipients (one decimal), cost per conversion."""
    total = {key: sum(row[key] for row in rows) for key in COUNT_KEYS + ("spent",)}
    sent = total["recipients_count"]
    rate = {
        f"{word.title()} rate": round(100 * total[f"{word}s_count"] / sent, 1) if sent else None
        for word in ("open", "click", "conversion")
    }
    cost = (
        round(total["spent"] / total["conversions_count"], 2)
        if total["conversions_count"]
        else None
    )
    counts = {key.split("_")[0].title(): total[key] for key in COUNT_KEYS}
    return {"results": counts, "rates": rate, "cost per conversion": {"value": cost}}


def as_read(stats: list[dict]) -> dict[str, dict]:
    return {
        stat["title"].split(": ")[-1]: {v["label"]: v["value"] for v in stat["values"]}
        if stat["kind"] == "breakdown"
        else {"value": stat["values"][0]["value"]}
        for stat in stats
    }


COUNT_KEYS = ("recipients_count", "opens_count", "clicks_count", "conversions_count")


def test_metrics_send_chartable_figures(ctx, stores):
    spring = campaign_of(stores[0], "Spring")
    one = execute(agent, "campaign_metrics", {"id": spring["id"]}, ctx).result["stat_data"]
    assert [(s["title"], s["kind"]) for s in one] == [
        ("Spring exterior special: results", "breakdown"),
        ("Spring exterior special: rates", "breakdown"),
        ("Spring exterior special: cost per conversion", "number"),
    ]
    assert as_read(one) == charted([spring])
    assert as_read(one)["rates"]["Open rate"] == 45.0
    every = execute(agent, "campaign_metrics", {}, ctx).result["stat_data"]
    assert every[0]["title"] == "All campaigns: results"
    assert as_read(every) == charted(stores[0].list_records("campaigns"))
    assert execute(agent, "campaign_metrics", {"name": "winter"}, ctx).result["stat_data"] == []


@BOTH_STORES
def test_chat_metrics_stream_their_figures(app, client, users, live):
    model = install(app, route("campaigns"), call("campaign_metrics"), say("Done."))
    evts = stream_events(send(client, users.a, "how are my campaigns doing?"))
    stats = [e for e in evts if e["type"] == "stat_data"]
    assert {e["tool_name"] for e in stats} == {"campaign_metrics"}
    assert as_read(stats) == charted(live.list_records("campaigns"))
    given = model.requests[-1].messages[-1]["content"][0]["toolResult"]["content"][0]["json"]
    assert [s["title"] for s in given["result"]["stat_data"]] == [e["title"] for e in stats]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"status": "draft"}, {"Cabinet refinishing promo"}),
        ({"channel": "sms"}, {"Holiday touch-up reminder"}),
        ({"search": "exterior"}, {"Spring exterior special"}),
        ({}, {"Spring exterior special", "Holiday touch-up reminder", "Cabinet refinishing promo"}),
    ],
)
def test_list_filters(ctx, args, names):
    result = execute(agent, "list_campaigns", args, ctx).result
    assert {c["name"] for c in result["campaigns"]} == names


def test_send_waits_for_confirmation_then_sends(app, client, users, ctx, stores):
    holiday = campaign_of(stores[0], "Holiday")
    outcome = execute(agent, "send_campaign", {"id": holiday["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert (
        outcome.action["summary"] == "Send the sms campaign “Holiday touch-up reminder” to clients"
    )
    unchanged = stores[0].get_record("campaigns", holiday["id"])
    assert (unchanged["status"], unchanged["sent_at"]) == ("scheduled", None)
    confirmed = client.post(f"/api/actions/{outcome.action['id']}/confirm", headers=users.a)
    assert confirmed.status_code == 200
    sent = stores[0].get_record("campaigns", holiday["id"])
    assert sent["status"] == "sent" and since(sent["sent_at"]) < timedelta(minutes=1)


def test_cancel_waits_for_confirmation_then_cancels(ctx, stores):
    cabinet = campaign_of(stores[0], "Cabinet")
    outcome = execute(agent, "cancel_campaign", {"id": cabinet["id"]}, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.action["summary"] == "Cancel the social campaign “Cabinet refinishing promo”"
    assert stores[0].get_record("campaigns", cabinet["id"]) == cabinet
    result = run_confirmed(agent, stores[0].get_action(outcome.action["id"]), ctx)
    assert result["summary"] == "Cancelled the social campaign “Cabinet refinishing promo”"
    assert stores[0].get_record("campaigns", cabinet["id"])["status"] == "cancelled"


@pytest.mark.parametrize(
    ("status", "next_statuses"),
    [("sent", "draft or completed"), ("cancelled", "draft"), ("completed", "draft")],
)
def test_finished_campaigns_are_not_sent_scheduled_or_cancelled(ctx, stores, status, next_statuses):
    cabinet = campaign_of(stores[0], "Cabinet")
    stores[0].update_record("campaigns", cabinet["id"], {"status": status})
    later = {"scheduled_at": "2026-12-01T10:00:00Z"}
    for tool, to, extra in [
        ("send_campaign", "sent", {}),
        ("cancel_campaign", "cancelled", {}),
        ("schedule_campaign", "scheduled", later),
    ]:
        outcome = execute(agent, tool, {"id": cabinet["id"], **extra}, ctx)
        assert refused(outcome), tool
        assert outcome.result["error"] == (
            f"“Cabinet refinishing promo” is already {status}: it can become {next_statuses}, "
            f"not {to}."
        )
    assert stores[0].get_record("campaigns", cabinet["id"])["status"] == status


def test_schedule_waits_for_confirmation_then_schedules(client, users, ctx, stores):
    """A send time without an offset is the business's (the demo's New York) wall clock."""
    cabinet = campaign_of(stores[0], "Cabinet")
    args = {"id": cabinet["id"], "scheduled_at": "2027-12-01T10:00:00"}
    outcome = execute(agent, "schedule_campaign", args, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.summary == (
        "Schedule the social campaign “Cabinet refinishing promo” for 2027-12-01 10:00 EST"
    )
    assert stores[0].get_record("campaigns", cabinet["id"]) == cabinet
    confirmed = client.post(f"/api/actions/{outcome.action['id']}/confirm", headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["result"]["campaign"]["scheduled_at"] == "2027-12-01T10:00:00-05:00"
    row = stores[0].get_record("campaigns", cabinet["id"])
    assert (row["status"], row["scheduled_at"]) == ("scheduled", "2027-12-01T15:00:00+00:00")
    assert datetime.fromisoformat(row["scheduled_at"]) == datetime(
        2027, 12, 1, 10, tzinfo=ZoneInfo("America/New_York")
    )
    utc = execute(agent, "schedule_campaign", {**args, "scheduled_at": "2027-12-01T10:00Z"}, ctx)
    assert utc.summary.endswith("for 2027-12-01 05:00 EST")  # a new time for a scheduled one
    past = execute(agent, "schedule_campaign", {**args, "scheduled_at": "2026-11-01T10:00:00"}, ctx)
    assert refused(past) and "passed" in past.result["error"]


def test_create_takes_a_send_time_as_the_business_time(ctx, stores):
    args = {"name": "Winter promo", "scheduled_at": "2026-12-01T09:00"}
    created = execute(agent, "create_campaign", args, ctx).result["campaign"]
    assert created["scheduled_at"] == "2026-12-01T09:00:00-05:00"
    stored = stores[0].get_record("campaigns", created["id"])["scheduled_at"]
    assert stored == "2026-12-01T14:00:00+00:00"


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("create_campaign", {"name": "X", "channel": "fax"}),
        ("create_campaign", {"name": "X", "status": "sent"}),
        ("create_campaign", {"name": "X", "status": "cancelled"}),
        ("create_campaign", {"channel": "email"}),
        ("create_campaign", {"name": "x" * 201}),
        ("create_campaign", {"name": "X", "opens_count": -1}),
        ("create_campaign", {"name": "X", "budget": "lots"}),
        ("create_campaign", {"name": "X", "user_id": USER_B}),
        ("update_campaign", {"name": "X"}),
        ("list_campaigns", {"status": "finished"}),
        ("campaign_metrics", {"id": "nope"}),
        ("schedule_campaign", {"id": "00000000-0000-4000-8000-000000000000"}),
        ("send_campaign", {"id": "00000000-0000-4000-8000-000000000000", "user_id": USER_A}),
        ("cancel_campaign", {"id": "nope"}),
    ],
)
def test_bad_input_is_refused(ctx, stores, tool, args):
    outcome = execute(agent, tool, args, ctx)
    assert refused(outcome) and outcome.result["error"] == "Invalid input"
    assert stores[0].count_records("campaigns") == 3


def test_another_users_campaigns_are_out_of_reach(ctx, stores):
    theirs = campaign_of(stores[1], "Holiday")
    listed = execute(agent, "list_campaigns", {"limit": 100}, ctx).result["campaigns"]
    assert {c["user_id"] for c in listed} == {USER_A}
    assert execute(agent, "campaign_metrics", {}, ctx).result["count"] == 3
    for tool, extra in [
        ("get_campaign", {}),
        ("campaign_metrics", {}),
        ("send_campaign", {}),
        ("cancel_campaign", {}),
        ("schedule_campaign", {"scheduled_at": "2026-12-01T10:00:00Z"}),
        ("update_campaign", {"name": "hijacked"}),
        ("delete_campaign", {}),
    ]:
        assert refused(execute(agent, tool, {"id": theirs["id"], **extra}, ctx)), tool
    assert stores[1].get_record("campaigns", theirs["id"]) == theirs


@pytest.mark.parametrize(
    ("status", "tool"),
    [
        ("cancelled", "cancel_campaign"),
        ("sent", "send_campaign"),
        ("scheduled", "schedule_campaign"),
    ],
)
def test_a_model_cannot_cancel_or_send_by_updating_the_status(
    app, client, users, live, status, tool
):
    before = campaign_of(live, "Holiday")
    event, result = scripted_call(
        app, client, users, "campaigns", "update_campaign", id=before["id"], status=status
    )
    assert event["status"] == "error" and result["error"] == "Invalid input"
    assert result["fields"] == {
        "status": [
            f"{status} is set only by {tool}: call that instead. Here it can be one of: draft, "
            "active, paused, completed."
        ]
    }
    assert campaign_of(live, "Holiday") == before


def test_chat_cancel_waits_for_the_owners_confirmation(client, users, live):
    assert_cancel_waits_for_confirmation(
        client,
        users,
        "cancel the holiday campaign",
        "campaigns",
        ["list_campaigns", "cancel_campaign"],
        "Cancel the sms campaign “Holiday touch-up reminder”",
        lambda: campaign_of(live, "Holiday"),
    )


# Status moves: one table, and confirmation for scheduling and leaving a settled status -------
LATER = "2027-12-01T10:00:00"  # after the real date too: a confirmation runs on today's date


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


@BOTH_STORES
def test_chat_schedule_waits_for_the_owners_confirmation(app, client, users, live):
    cabinet = campaign_of(live, "Cabinet")
    install(
        app,
        route("campaigns"),
        call("schedule_campaign", id=cabinet["id"], scheduled_at=LATER),
        say("Confirm it in the app."),
    )
    pending = confirmation(stream_events(send(client, users.a, "schedule the cabinet campaign")))
    assert pending["tool_name"] == "schedule_campaign"
    assert pending["summary"] == (
        "Schedule the social campaign “Cabinet refinishing promo” for 2027-12-01 10:00 EST"
    )
    assert campaign_of(live, "Cabinet") == cabinet
    url = f"/api/actions/{pending['action_id']}/confirm"
    assert_error(client.post(url, headers=users.b), 404, "ACTION_NOT_FOUND")
    assert campaign_of(live, "Cabinet") == cabinet
    confirmed = client.post(url, headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    row = campaign_of(live, "Cabinet")
    assert row["status"] == "scheduled"
    assert at(row["scheduled_at"]) == datetime(2027, 12, 1, 10, tzinfo=ZoneInfo("America/New_York"))


@BOTH_STORES
@pytest.mark.parametrize(
    ("word", "start", "to"),
    [
        ("Spring", "sent", "draft"),
        ("Holiday", "scheduled", "draft"),
        ("Holiday", "scheduled", "paused"),
        ("Cabinet", "cancelled", "draft"),
        ("Cabinet", "completed", "draft"),
    ],
)
def test_leaving_a_settled_status_waits_for_confirmation(app, client, users, live, word, start, to):
    before = campaign_of(live, word)
    if before["status"] != start:
        before = live.update_record("campaigns", before["id"], {"status": start})
    event, result = scripted_call(
        app, client, users, "campaigns", "update_campaign", id=before["id"], status=to
    )
    assert event["status"] == "ok" and result["status"] == "awaiting_confirmation"
    name = f"the {before['channel']} campaign “{before['name']}”"
    assert result["summary"] == f"Move {name} from {start} to {to}"
    assert campaign_of(live, word) == before
    confirmed = client.post(f"/api/actions/{result['action_id']}/confirm", headers=users.a)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert campaign_of(live, word)["status"] == to


@BOTH_STORES
def test_a_move_not_in_the_table_is_refused(app, client, users, live):
    spring = campaign_of(live, "Spring")
    event, result = scripted_call(
        app, client, users, "campaigns", "update_campaign", id=spring["id"], status="active"
    )
    assert event["status"] == "error"
    assert result["error"] == (
        "“Spring exterior special” is already sent: it can become draft or completed, not active."
    )
    assert campaign_of(live, "Spring") == spring


def test_working_changes_run_at_once(ctx, stores):
    cabinet, spring = campaign_of(stores[0], "Cabinet"), campaign_of(stores[0], "Spring")
    for status in ("active", "paused", "draft"):
        outcome = execute(agent, "update_campaign", {"id": cabinet["id"], "status": status}, ctx)
        assert outcome.status == "ok"
        assert stores[0].get_record("campaigns", cabinet["id"])["status"] == status
    results = execute(agent, "update_campaign", {"id": spring["id"], "opens_count": 200}, ctx)
    assert results.status == "ok"  # a sent campaign's results are recorded without asking
    assert stores[0].get_record("campaigns", spring["id"])["opens_count"] == 200


def test_a_new_send_time_for_a_scheduled_campaign_waits_for_confirmation(ctx, stores):
    holiday = campaign_of(stores[0], "Holiday")
    args = {"id": holiday["id"], "scheduled_at": "2027-01-05T09:00:00", "subject": "Soon"}
    outcome = execute(agent, "update_campaign", args, ctx)
    assert outcome.status == "pending_confirmation"
    assert outcome.summary == (
        "Reschedule the sms campaign “Holiday touch-up reminder” for 2027-01-05 09:00 EST"
    )
    back = execute(agent, "update_campaign", {**args, "status": "draft"}, ctx)
    assert back.summary == (
        "Move the sms campaign “Holiday touch-up reminder” from scheduled to draft, and change "
        "its subject and scheduled at"
    )
    assert stores[0].get_record("campaigns", holiday["id"]) == holiday


def test_every_status_change_follows_the_one_table(ctx, stores):
    """Every tool that changes a status, from every status to every status: refused unless
    TRANSITIONS has the move; scheduling, sending, cancelling and leaving a settled status
    wait for the user."""
    cabinet = campaign_of(stores[0], "Cabinet")
    own = {
        "sent": ("send_campaign", {}),
        "scheduled": ("schedule_campaign", {"scheduled_at": LATER}),
        "cancelled": ("cancel_campaign", {}),
    }
    for start in STATUSES:
        for to in STATUSES:
            stores[0].update_record("campaigns", cabinet["id"], {"status": start})
            tool, extra = own.get(to, ("update_campaign", {"status": to}))
            outcome = execute(agent, tool, {"id": cabinet["id"], **extra}, ctx)
            stays = tool == "update_campaign" and to == start
            allowed = to in TRANSITIONS[start] or stays
            assert (outcome.status != "error") == allowed, (start, to, outcome.result)
            asks = tool != "update_campaign" or (start in CONFIRM_LEAVING and not stays)
            if allowed:
                assert (outcome.status == "pending_confirmation") == asks, (start, to)
