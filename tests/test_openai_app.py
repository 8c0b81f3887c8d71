"""The OpenAI-compatible provider through the app: its settings, readiness, and chat turns
streamed from the emulator (tests/openai_emulator.py) over real sockets, on the real store,
in the test client and in a gunicorn gevent worker.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from bench.server import free_port, server_env
from canvalo_app import create_app
from canvalo_app.demo import seed_demo
from canvalo_app.errors import ERRORS
from canvalo_app.store.base import Identity
from config import ConfigError, check_config, load_config
from tests.conftest import BOTH_STORES, USER_A, Users, app_config, events, parse_sse
from tests.live_server import Instance, read_events, request
from tests.openai_fixtures import (  # noqa: F401  (the fixtures `emulator`, `app`, `provider`, …)
    API_KEY,
    MODEL,
    app_fixture,
    emulator_fixture,
    openai_app_fixture,
)
from tests.openai_scripts import (
    http_error,
    role,
    stream,
    stream_error,
    text,
    text_reply,
    tool_reply,
)

# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"OPENAI_BASE_URL": None}, "OPENAI_BASE_URL"),
        ({"OPENAI_BASE_URL": "localhost:11434/v1"}, "OPENAI_BASE_URL"),
        ({"OPENAI_BASE_URL": "ftp://models.example/v1"}, "OPENAI_BASE_URL"),
        ({"OPENAI_BASE_URL": "http://localhost:99999/v1"}, "OPENAI_BASE_URL"),
        ({"OPENAI_MODEL": None}, "OPENAI_MODEL"),
        ({"OPENAI_READ_TIMEOUT": 0}, "OPENAI_READ_TIMEOUT"),
        ({"MODEL_PROVIDER": "openia"}, "MODEL_PROVIDER"),
    ],
)
def test_wrong_settings_are_refused_by_name(tmp_path, overrides, named):
    settings = {
        "MODEL_PROVIDER": "openai",
        "OPENAI_BASE_URL": "http://localhost:11434/v1",
        "OPENAI_MODEL": MODEL,
        "OPENAI_API_KEY": API_KEY,
    }
    with pytest.raises(ConfigError, match=named) as refused:
        create_app(app_config(tmp_path, **{**settings, **overrides}))
    assert API_KEY not in str(refused.value)


def test_production_accepts_an_openai_compatible_server(tmp_path):
    settings = {
        "ENV_NAME": "production",
        "DEV_JWT_SECRET": None,
        "STORE": "supabase",
        "SUPABASE_URL": "https://project.supabase.example",
        "SUPABASE_PUBLISHABLE_KEY": "sb_publishable_x",
        "SUPABASE_SECRET_KEY": "sb_secret_x",
        "MODEL_PROVIDER": "openai",
        "OPENAI_BASE_URL": "https://models.example.com/v1",
        "OPENAI_MODEL": MODEL,
    }
    check_config({**load_config("testing"), **app_config(tmp_path, **settings)})


# --- the app ------------------------------------------------------------------------------------


def send(client, users, message="How are my invoices?") -> tuple[list[dict], str]:
    response = client.post("/api/chat/stream", json={"message": message}, headers=users.a)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return events(parse_sse(body)), body


def assistant_row(client, users, evts: list[dict]) -> dict:
    conversation_id = evts[0]["conversation_id"]
    conversation = client.get(f"/api/conversations/{conversation_id}", headers=users.a).json
    return conversation["messages"][-1]


def test_readiness_describes_the_model_without_the_key(openai_app, emulator):
    client = openai_app(OPENAI_API_KEY=API_KEY).test_client()
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json["checks"]["model"] == {
        "ok": True,
        "provider": "openai",
        "model_id": MODEL,
        "host": emulator.url.split("/")[2],
    }
    assert API_KEY not in response.get_data(as_text=True)
    assert emulator.requests == []  # readiness does not call the model


def test_tokens_stream_as_token_events_and_complete_carries_usage(client, users, emulator):
    emulator.enqueue(text_reply("Which ", "invoice do you mean?", usage_=(12, 3)))
    evts, _ = send(client, users)
    assert [e["type"] for e in evts] == ["start", "token", "token", "complete"]
    assert [e["content"] for e in evts if e["type"] == "token"] == [
        "Which ",
        "invoice do you mean?",
    ]
    assert (evts[-1]["usage"], evts[-1]["finish_reason"]) == (
        {"input_tokens": 12, "output_tokens": 3},
        "end_turn",
    )
    row = assistant_row(client, users, evts)
    assert (row["status"], row["content"]) == ("complete", "Which invoice do you mean?")
    assert row["metadata"]["usage"] == {"input_tokens": 12, "output_tokens": 3}
    sent = emulator.requests[0]["body"]
    assert sent["messages"][-1] == {"role": "user", "content": "How are my invoices?"}
    assert sent["tool_choice"] == "required"  # the supervisor must route or reply


def test_failure_after_text_is_a_terminal_error_and_the_partial_text_is_kept(
    client, users, emulator
):
    emulator.enqueue(
        tool_reply(("call_route", "route_to_agents", {"agents": ["invoices"]})),
        stream(
            role(),
            text("Partial "),
            text("answer"),
            stream_error(
                "Rate limit reached for org-123456789012", "requests", "rate_limit_exceeded"
            ),
        ),
    )
    evts, body = send(client, users)
    assert [e["type"] for e in evts] == ["start", "agent", "token", "token", "error"]
    assert evts[-1] == {
        "type": "error",
        "code": "MODEL_THROTTLED",
        "error": ERRORS["MODEL_THROTTLED"].user_message,
        "retryable": True,
        "suggested_actions": list(ERRORS["MODEL_THROTTLED"].suggested_actions),
        "_id": 5,
    }
    assert "Rate limit" not in body and "123456789012" not in body
    assert len(emulator.requests) == 2  # the route, then the one answer that failed
    row = assistant_row(client, users, evts)
    assert (row["status"], row["content"]) == ("error", "Partial answer")
    assert row["metadata"]["error_code"] == "MODEL_THROTTLED"


def test_throttled_twice_then_success_gives_a_normal_answer(client, users, emulator):
    throttled = http_error(429, "Rate limit reached", "requests", "rate_limit_exceeded")
    emulator.enqueue(throttled, throttled, text_reply("All ", "good."))
    evts, _ = send(client, users)
    assert [e["type"] for e in evts] == ["start", "token", "token", "complete"]
    assert len(emulator.requests) == 3
    assert assistant_row(client, users, evts)["content"] == "All good."


def test_rejected_request_is_an_error_event_without_the_server_message(client, users, emulator):
    emulator.default = http_error(400, "messages.0: internal detail xyz")
    evts, body = send(client, users)
    assert [e["type"] for e in evts] == ["start", "error"]
    assert evts[-1]["code"] == "MODEL_REQUEST_INVALID"
    assert evts[-1]["error"] == ERRORS["MODEL_REQUEST_INVALID"].user_message
    assert "internal detail" not in body
    row = assistant_row(client, users, evts)
    assert (row["status"], row["content"]) == ("error", "")
    assert row["metadata"]["error_code"] == "MODEL_REQUEST_INVALID"


@BOTH_STORES
def test_tool_call_round_trip_through_the_supervisor_and_an_agent(openai_app, users, emulator):
    app = openai_app()
    client = app.test_client()
    seed_demo(app.extensions["store"].for_user(Identity(USER_A, users.token(USER_A))))
    route = {"agents": ["invoices"], "reason": "Overdue invoices."}
    emulator.enqueue(
        tool_reply(("call_route", "route_to_agents", route)),
        tool_reply(("call_overdue", "overdue_summary", {})),
        text_reply("Here are ", "your overdue invoices."),
    )
    evts, _ = send(client, users, "Which invoices are overdue?")

    types = [e["type"] for e in evts]
    assert types == ["start", "agent", "tool_call", "tool_result", "token", "token", "complete"]
    agent, call, result = evts[1:4]
    assert (agent["agent_type"], agent["reason"]) == ("invoices", "Overdue invoices.")
    assert call["tool_call_id"] == result["tool_call_id"] == "call_overdue"
    assert (call["tool_name"], call["input"], result["status"]) == ("overdue_summary", {}, "ok")
    assert evts[-1]["usage"] == {"input_tokens": 30, "output_tokens": 15}  # three model calls

    supervisor, first_call, answer = (request["body"] for request in emulator.requests)
    routes = [t["function"]["name"] for t in supervisor["tools"]]
    assert (routes, supervisor["tool_choice"]) == (["route_to_agents", "reply_to_user"], "required")
    assert "tool_choice" not in first_call  # agents choose freely
    assert "overdue_summary" in [t["function"]["name"] for t in first_call["tools"]]
    assert answer["tools"] == first_call["tools"]  # resent
    assert answer["messages"][0]["role"] == "system"
    assistant_turn, tool_message = answer["messages"][-2:]
    assert assistant_turn == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_overdue",
                "type": "function",
                "function": {"name": "overdue_summary", "arguments": "{}"},
            }
        ],
    }
    assert (tool_message["role"], tool_message["tool_call_id"]) == ("tool", "call_overdue")
    content = json.loads(tool_message["content"])
    assert content["outcome"] == "ok" and content["result"]["count"] >= 1
    assert content["result"]["summary"] == result["summary"]

    row = assistant_row(client, users, evts)
    assert (row["status"], row["agent_type"]) == ("complete", "invoices")
    assert row["content"] == "Here are your overdue invoices."
    assert [c["name"] for c in row["metadata"]["tool_calls"]] == ["overdue_summary"]


def test_streams_share_a_gevent_worker_side_by_side(tmp_path, emulator):
    """Under gunicorn's gevent worker httpx's sockets are cooperative: two answers that each
    take a second stream at the same time in one worker, not one after the other."""
    env = server_env(
        free_port(),
        tmp_path / "db.sqlite3",
        Users.secret,
        MODEL_PROVIDER="openai",
        OPENAI_BASE_URL=emulator.url,
        OPENAI_MODEL=MODEL,
        RATE_LIMIT_CHAT="1000 per minute",
        MODEL_TITLES="false",  # the answers' model calls alone
    )
    for name in ("REDIS_URL", "WEB_CONCURRENCY", "OPENAI_API_KEY"):
        env.pop(name, None)
    emulator.default = text_reply("One ", "second ", "answer.", delay=0.5)
    server = Instance(env, tmp_path / "server.log")
    results: list[list[dict]] = []

    def chat():
        _, response = request(server.port, "POST", "/api/chat/stream", {"message": "Hello"})
        results.append(read_events(response))

    try:
        start = time.monotonic()
        chats = [threading.Thread(target=chat) for _ in range(2)]
        for thread in chats:
            thread.start()
        for thread in chats:
            thread.join(timeout=10)
        elapsed = time.monotonic() - start
    finally:
        server.stop()
    assert [[e["type"] for e in evts][-1] for evts in results] == ["complete", "complete"]
    assert len(emulator.requests) == 2
    assert elapsed < 1.8  # each took a second; one after the other would take two
