"""The OpenAI-compatible provider: real httpx requests against the chat-completions emulator.

Nothing of ours is mocked: the provider builds real streamed requests, httpx sends them over a
socket and reads the event stream back, and the app runs the turn on the real store. The fake
sits only at the network edge (tests/openai_emulator.py). The failure scenarios are those of
tests/test_bedrock.py, in this protocol's terms.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from bench.server import free_port, server_env
from canvalo_app import create_app
from canvalo_app.demo import seed_demo
from canvalo_app.errors import ERRORS, AppError
from canvalo_app.llm.base import ModelRequest, Stop, TextDelta, ToolSpec, ToolUse, Usage
from canvalo_app.store.base import Identity
from config import ConfigError, check_config, load_config
from tests.conftest import BOTH_STORES, USER_A, Users, app_config, events, parse_sse
from tests.live_server import Instance, read_events, request
from tests.openai_emulator import (
    Delta,
    OpenAIEmulator,
    done,
    drop,
    finish,
    http_error,
    pause,
    raw,
    role,
    stream,
    stream_error,
    text,
    text_reply,
    tool_call_deltas,
    tool_reply,
    usage,
)

BASE_DELAY = 0.05
MODEL = "llama3.1:8b"
API_KEY = "sk-test-key-never-shown"
USER = [{"role": "user", "content": [{"text": "How are my invoices?"}]}]
LOOKUP = ToolSpec(
    "lookup_invoice",
    "Find an invoice by its number.",
    {"type": "object", "properties": {"number": {"type": "string"}}, "required": ["number"]},
)
LOOKUP_TOOL = {
    "type": "function",
    "function": {
        "name": LOOKUP.name,
        "description": LOOKUP.description,
        "parameters": LOOKUP.input_schema,
    },
}


@pytest.fixture
def emulator():
    emu = OpenAIEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def openai_app(make_app, emulator):
    def build(**overrides):
        settings = {
            "MODEL_PROVIDER": "openai",
            "OPENAI_BASE_URL": emulator.url,
            "OPENAI_MODEL": MODEL,
            "OPENAI_API_KEY": None,
            "OPENAI_READ_TIMEOUT": 5.0,
            "RETRY_ATTEMPTS": 3,
            "RETRY_BASE_DELAY": BASE_DELAY,
            "RETRY_MAX_DELAY": 0.2,
            **overrides,
        }
        return make_app(**settings)

    return build


@pytest.fixture
def app(openai_app):
    return openai_app()


@pytest.fixture
def provider(app):
    return app.extensions["model"]


@contextmanager
def bare_endpoint(hang_up: bool) -> Iterator[tuple[str, list]]:
    """A bare TCP endpoint (its URL, and the connections it took) that reads a request, then
    hangs up or never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve():
        with suppress(OSError):
            while True:
                connection, _ = listener.accept()
                connection.recv(65536)
                accepted.append(connection)
                if hang_up:
                    connection.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1", accepted
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


def ask(tools=(), messages=USER, max_tokens=512, tool_choice=None) -> ModelRequest:
    return ModelRequest("Be brief.", list(messages), list(tools), max_tokens, None, tool_choice)


def run(provider, request: ModelRequest | None = None) -> tuple[list, AppError | None]:
    """Every event of one stream call, and the AppError that ended it (None on success)."""
    received: list = []
    try:
        for event in provider.stream(request or ask()):
            received.append(event)
    except AppError as error:
        return received, error
    return received, None


def texts(received: list) -> list[str]:
    return [event.text for event in received if isinstance(event, TextDelta)]


# --- provider: streaming and the request we send ------------------------------------------------


def test_text_streams_in_order_as_it_is_produced(provider, emulator):
    emulator.enqueue(text_reply("Hel", "lo", " world", delay=0.3, usage_=(12, 3)))
    start = time.monotonic()
    arrivals = [(time.monotonic() - start, event) for event in provider.stream(ask())]
    assert [event for _, event in arrivals] == [
        TextDelta("Hel"),
        TextDelta("lo"),
        TextDelta(" world"),
        Stop("end_turn"),
        Usage(12, 3),
    ]
    first, last = arrivals[0][0], arrivals[2][0]
    assert first < 0.25  # forwarded as it arrived, not held until the end
    assert last - first >= 0.5  # the two 0.3 s pauses sit between the first and last delta


def test_request_without_tools_is_a_plain_streamed_completion(provider, emulator):
    run(provider, ask(max_tokens=321))
    (request,) = emulator.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["body"] == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "How are my invoices?"},
        ],
        "max_tokens": 321,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_the_key_is_sent_only_when_configured(openai_app, emulator):
    run(openai_app().extensions["model"])
    run(openai_app(OPENAI_API_KEY=API_KEY).extensions["model"])
    without, with_key = (request["headers"] for request in emulator.requests)
    assert without.get("Authorization") is None
    assert with_key["Authorization"] == f"Bearer {API_KEY}"


def test_tool_call_is_assembled_and_the_conversation_translated(provider, emulator):
    emulator.enqueue(
        tool_reply(("call_1", "lookup_invoice", {"number": "INV-7"}), text_before="Checking."),
        text_reply("INV-7 is paid."),
    )
    first, error = run(provider, ask([LOOKUP], tool_choice="any"))
    assert error is None
    assert first == [
        TextDelta("Checking."),
        ToolUse("call_1", "lookup_invoice", {"number": "INV-7"}),
        Stop("tool_use"),
        Usage(10, 5),
    ]
    result = {"json": {"outcome": "ok", "result": {"status": "paid", "total": 1250.5}}}
    use = {"toolUseId": "call_1", "name": "lookup_invoice", "input": {"number": "INV-7"}}
    follow_up = [
        *USER,
        {"role": "assistant", "content": [{"text": "Checking."}, {"toolUse": use}]},
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [result], "status": "success"}}
            ],
        },
    ]
    second, error = run(provider, ask([LOOKUP], follow_up))
    assert (error, texts(second)) == (None, ["INV-7 is paid."])
    forced, answer = (request["body"] for request in emulator.requests)
    assert forced["tools"] == answer["tools"] == [LOOKUP_TOOL]  # resent on every call
    assert (forced["tool_choice"], "tool_choice" in answer) == ("required", False)
    assert answer["messages"][2:] == [
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup_invoice", "arguments": '{"number": "INV-7"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": json.dumps(result["json"])},
    ]


def test_several_tool_calls_in_one_message(provider, emulator):
    calls = [
        *tool_call_deltas(0, "call_a", "lookup_invoice", {"number": "A-100"}, pieces=5),
        *tool_call_deltas(1, "call_b", "lookup_invoice", {}, pieces=1),
    ]
    emulator.enqueue(stream(role(), calls, finish("tool_calls"), usage(), done()))
    received, error = run(provider, ask([LOOKUP]))
    assert error is None
    assert [event for event in received if isinstance(event, ToolUse)] == [
        ToolUse("call_a", "lookup_invoice", {"number": "A-100"}),
        ToolUse("call_b", "lookup_invoice", {}),
    ]


def whole_call(call_id: str, arguments: str) -> dict:
    """A tool call sent in one piece and without an index, as Ollama sends one."""
    return {"id": call_id, "type": "function"} | {
        "function": {"name": "lookup_invoice", "arguments": arguments}
    }


def test_whole_calls_without_an_index_finished_with_stop_are_tool_uses(provider, emulator):
    """Ollama, and some vLLM tool parsers, send finish_reason "stop" after tool calls."""
    calls = [whole_call("call_x", '{"number": "X"}'), whole_call("call_y", '{"num')]
    rest = {"id": "call_y", "function": {"arguments": 'ber": "Y"}'}}  # the id sent again
    emulator.enqueue(
        stream(role(), Delta({"tool_calls": calls}), Delta({"tool_calls": [rest]}), finish())
    )
    received, error = run(provider, ask([LOOKUP]))
    assert error is None
    assert received[:3] == [
        ToolUse("call_x", "lookup_invoice", {"number": "X"}),
        ToolUse("call_y", "lookup_invoice", {"number": "Y"}),
        Stop("tool_use"),
    ]


def test_a_tool_call_without_an_id_gets_one_and_without_a_name_is_a_model_error(provider, emulator):
    nameless = {"index": 0, "function": {"arguments": "{}"}}
    emulator.enqueue(
        stream(role(), Delta({"tool_calls": [whole_call(None, "{}")]}), finish(), done()),
        stream(role(), Delta({"tool_calls": [nameless]}), finish(), done()),
    )
    received, error = run(provider, ask([LOOKUP]))
    assert error is None and received[0].id.startswith("call_") and len(received[0].id) > 8
    received, error = run(provider, ask([LOOKUP]))
    assert (received, error.code) == ([], "MODEL_ERROR")


@pytest.mark.parametrize("arguments", ['{"number": ', "[1, 2]"])
def test_tool_arguments_that_are_not_a_json_object_are_a_model_error(provider, emulator, arguments):
    start = {"index": 0, "id": "call_1", "type": "function"}
    start["function"] = {"name": "lookup_invoice", "arguments": arguments}
    emulator.enqueue(stream(role(), Delta({"tool_calls": [start]}), finish("tool_calls"), done()))
    received, error = run(provider, ask([LOOKUP]))
    assert (received, error.code, len(emulator.requests)) == ([], "MODEL_ERROR", 1)


@pytest.mark.parametrize(
    "finish_reason, reason",
    [("length", "max_tokens"), ("content_filter", "end_turn"), ("stop", "end_turn")],
)
def test_finish_reason(provider, emulator, finish_reason, reason):
    emulator.enqueue(text_reply("x", finish_reason=finish_reason))
    received, _ = run(provider)
    assert Stop(reason) in received


def test_without_reported_usage_it_is_estimated(provider, emulator):
    emulator.enqueue(stream(role(), text("Twelve chars"), finish(), done()))
    received, error = run(provider)
    assert error is None
    sent = emulator.requests[0]["body"]
    assert received[-1] == Usage(len(json.dumps(sent["messages"]) + "[]") // 4 + 1, 12 // 4 + 1)


def test_a_running_total_of_usage_counts_once(provider, emulator):
    emulator.enqueue(stream(role(), text("a"), usage(5, 1), text("b"), finish(), usage(5, 2)))
    received, error = run(provider)
    assert (error, [e for e in received if isinstance(e, Usage)]) == (None, [Usage(5, 2)])


def test_a_finished_stream_may_end_without_done(provider, emulator):
    emulator.enqueue(stream(role(), text("Done."), finish(), usage(3, 2)))
    received, error = run(provider)
    assert (error, received[-2:]) == (None, [Stop("end_turn"), Usage(3, 2)])


# --- provider: failures before the stream (HTTP errors) -----------------------------------------


def test_throttled_twice_then_success_is_retried_with_backoff(provider, emulator):
    throttled = http_error(429, "Rate limit reached", "requests", "rate_limit_exceeded")
    emulator.enqueue(throttled, throttled, text_reply("Fine."))
    start = time.monotonic()
    received, error = run(provider)
    elapsed = time.monotonic() - start
    assert (error, texts(received), len(emulator.requests)) == (None, ["Fine."], 3)
    assert 3 * BASE_DELAY <= elapsed < 3 * BASE_DELAY + 0.25  # waited base, then 2 × base


def test_retry_after_is_honoured(openai_app, emulator):
    provider = openai_app(RETRY_MAX_DELAY=2.0).extensions["model"]
    emulator.enqueue(http_error(429, "Slow down", retry_after="1"), text_reply("Fine."))
    received, error = run(provider)
    assert (error, texts(received)) == (None, ["Fine."])
    first, second = emulator.requests
    assert 1.0 <= second["at"] - first["at"] < 1.5  # the header's second, not the 0.05 s backoff


def test_retry_after_is_capped_by_the_longest_backoff(provider, emulator):
    emulator.enqueue(http_error(429, "Slow down", retry_after="30"), text_reply("Fine."))
    start = time.monotonic()
    received, error = run(provider)
    assert (error, texts(received)) == (None, ["Fine."])
    assert time.monotonic() - start < 1.0  # RETRY_MAX_DELAY is 0.2 s


def test_still_throttled_after_every_retry_reports_the_wait(provider, emulator):
    emulator.default = http_error(429, "Slow down", retry_after="0.01")
    received, error = run(provider)
    assert (received, error.code, error.retryable) == ([], "MODEL_THROTTLED", True)
    assert error.details == {"retry_after_seconds": 0.01}
    assert len(emulator.requests) == 1 + 3


@pytest.mark.parametrize(
    "status, type_, code, app_code",
    [
        (400, "invalid_request_error", None, "MODEL_REQUEST_INVALID"),
        (401, "invalid_request_error", "invalid_api_key", "MODEL_ACCESS_DENIED"),
        (403, "permission_error", None, "MODEL_ACCESS_DENIED"),
        (404, "api_error", None, "MODEL_NOT_FOUND"),  # Ollama: the model is not pulled
        (429, "insufficient_quota", "insufficient_quota", "MODEL_ACCESS_DENIED"),
        (418, "teapot", None, "MODEL_ERROR"),  # an unknown 4xx
    ],
)
def test_permanent_http_errors_are_not_retried(provider, emulator, status, type_, code, app_code):
    emulator.default = http_error(status, "no", type_, code)
    received, error = run(provider)
    assert (received, error.code, error.retryable) == ([], app_code, False)
    assert len(emulator.requests) == 1


@pytest.mark.parametrize(
    "status, app_code",
    [
        (429, "MODEL_THROTTLED"),
        (500, "MODEL_UNAVAILABLE"),
        (502, "MODEL_UNAVAILABLE"),
        (503, "MODEL_UNAVAILABLE"),
        (504, "MODEL_UNAVAILABLE"),
        (408, "MODEL_TIMEOUT"),
    ],
)
def test_transient_http_errors_are_retried_then_reported(provider, emulator, status, app_code):
    emulator.default = http_error(status, "later", "server_error")
    received, error = run(provider)
    assert (received, error.code, error.retryable) == ([], app_code, True)
    assert len(emulator.requests) == 1 + 3  # the first try and RETRY_ATTEMPTS retries


@pytest.mark.parametrize(
    "hang_up, code", [(True, "MODEL_CONNECTION_LOST"), (False, "MODEL_TIMEOUT")]
)
def test_no_response_at_all_is_retried_then_reported(openai_app, hang_up, code):
    with bare_endpoint(hang_up) as (url, requests):
        app = openai_app(OPENAI_BASE_URL=url, OPENAI_READ_TIMEOUT=0.3, RETRY_ATTEMPTS=1)
        received, error = run(app.extensions["model"])
        assert (received, error.code, error.retryable) == ([], code, True)
        assert len(requests) == 2  # one try and one retry


def test_unreachable_endpoint_is_connection_lost_after_retries(openai_app):
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = openai_app(OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1").extensions["model"]
    start = time.monotonic()
    received, error = run(provider)
    assert (received, error.code) == ([], "MODEL_CONNECTION_LOST")
    assert time.monotonic() - start >= BASE_DELAY + 2 * BASE_DELAY + 0.2  # three backoffs


# --- provider: failures inside the stream -------------------------------------------------------


def test_throttling_after_text_is_reported_not_retried(provider, emulator):
    emulator.enqueue(
        stream(role(), text("partial"), stream_error("Rate", "requests", "rate_limit_exceeded"))
    )
    received, error = run(provider)
    assert texts(received) == ["partial"]
    assert (error.code, len(emulator.requests)) == ("MODEL_THROTTLED", 1)


@pytest.mark.parametrize(
    "failure",
    [
        stream_error("Rate", "requests", "rate_limit_exceeded"),
        stream_error("Busy", "server_error"),
        stream_error("Oops", "InternalServerError", 500),  # vLLM's shape
        drop(),
        pause(0.0),  # the stream just ends: no finish_reason
        done(),  # [DONE] without a finish_reason
    ],
    ids=["throttling", "unavailable", "internal", "drop", "incomplete", "done-early"],
)
def test_transient_failure_before_any_text_is_retried(provider, emulator, failure):
    emulator.enqueue(stream(role(), failure), text_reply("Fine."))
    received, error = run(provider)
    assert (error, texts(received), len(emulator.requests)) == (None, ["Fine."], 2)


@pytest.mark.parametrize(
    "failure, code",
    [
        (stream_error("no", "invalid_request_error"), "MODEL_REQUEST_INVALID"),
        (stream_error("no", "BadRequestError", 400), "MODEL_REQUEST_INVALID"),  # vLLM
        (stream_error("no", "some_future_error"), "MODEL_ERROR"),
        (stream_error("no", None, 400), "MODEL_REQUEST_INVALID"),  # a status as the code
    ],
    ids=["openai", "vllm", "unknown", "status"],
)
def test_permanent_failure_in_stream_is_not_retried(provider, emulator, failure, code):
    emulator.enqueue(stream(role(), failure))
    received, error = run(provider)
    assert (received, error.code, len(emulator.requests)) == ([], code, 1)


def test_a_chunk_that_is_not_json_is_a_model_error(provider, emulator):
    emulator.enqueue(stream(role(), raw("data: {not json\n\n")))
    received, error = run(provider)
    assert (received, error.code, len(emulator.requests)) == ([], "MODEL_ERROR", 1)


def test_dropped_connection_after_text_is_connection_lost(provider, emulator):
    emulator.enqueue(stream(role(), text("partial"), drop()))
    received, error = run(provider)
    assert texts(received) == ["partial"]
    assert (error.code, len(emulator.requests)) == ("MODEL_CONNECTION_LOST", 1)


def test_stream_without_finish_reason_is_incomplete(provider, emulator):
    emulator.enqueue(stream(role(), text("cut"), done()))
    received, error = run(provider)
    assert texts(received) == ["cut"]
    assert (error.code, len(emulator.requests)) == ("MODEL_STREAM_INCOMPLETE", 1)


def test_silence_longer_than_the_read_timeout_is_a_timeout(openai_app, emulator):
    provider = openai_app(OPENAI_READ_TIMEOUT=0.3).extensions["model"]
    emulator.enqueue(stream(role(), text("slow"), pause(1.0), finish(), done()))
    received, error = run(provider)
    assert texts(received) == ["slow"]
    assert (error.code, len(emulator.requests)) == ("MODEL_TIMEOUT", 1)


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
