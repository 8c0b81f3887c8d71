"""The Bedrock provider: a real boto3 client against the wire-format emulator.

Nothing of ours is mocked: the provider builds real `converse_stream` calls, botocore signs,
sends and decodes the event stream, and the app runs the turn on the real store. The fake sits
only at the network edge (tests/bedrock_emulator.py).
"""

from __future__ import annotations

import socket
import time

import pytest
from botocore.exceptions import ClientError

from canvalo_app.demo import seed_demo
from canvalo_app.errors import ERRORS, AppError
from canvalo_app.llm.base import ModelRequest, Stop, TextDelta, ToolSpec, ToolUse, Usage
from canvalo_app.store.base import Identity
from tests.bedrock_emulator import (
    BedrockEmulator,
    Script,
    block_stop,
    drop,
    exception,
    http_error,
    message_start,
    message_stop,
    metadata,
    pause,
    stream,
    text_delta,
    text_reply,
    tool_use_block,
    tool_use_delta,
    tool_use_reply,
    tool_use_start,
)
from tests.conftest import USER_A, events, parse_sse
from tests.helpers import bare_endpoint

BASE_DELAY = 0.05
MODEL_ID = "amazon.nova-lite-v1:0"
SECRET_KEY = "test-secret-key-never-shown"
USER = [{"role": "user", "content": [{"text": "How are my invoices?"}]}]
LOOKUP = ToolSpec(
    "lookup_invoice",
    "Find an invoice by its number.",
    {"type": "object", "properties": {"number": {"type": "string"}}, "required": ["number"]},
)
LOOKUP_CONFIG = {
    "tools": [
        {
            "toolSpec": {
                "name": LOOKUP.name,
                "description": LOOKUP.description,
                "inputSchema": {"json": LOOKUP.input_schema},
            }
        }
    ]
}


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch, tmp_path):
    """Dummy credentials through boto3's own chain; the developer's AWS files are ignored."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator():
    emu = BedrockEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def bedrock_app(make_app, emulator):
    def build(**overrides):
        settings = {
            "MODEL_PROVIDER": "bedrock",
            "BEDROCK_ENDPOINT_URL": emulator.url,
            "BEDROCK_MODEL_ID": MODEL_ID,
            "AWS_REGION": "us-east-1",
            "AWS_PROFILE": None,
            "BEDROCK_READ_TIMEOUT": 5.0,
            "RETRY_ATTEMPTS": 3,
            "RETRY_BASE_DELAY": BASE_DELAY,
            "RETRY_MAX_DELAY": 0.2,
            **overrides,
        }
        return make_app(**settings)

    return build


@pytest.fixture
def app(bedrock_app):
    return bedrock_app()


@pytest.fixture
def provider(app):
    return app.extensions["model"]


def ask(tools=(), messages=USER, max_tokens=512) -> ModelRequest:
    return ModelRequest("Be brief.", list(messages), list(tools), max_tokens)


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
    emulator.enqueue(text_reply("Hel", "lo", " world", delay=0.3, usage=(12, 3)))
    start = time.monotonic()
    arrivals = []
    for event in provider.stream(ask()):
        arrivals.append((time.monotonic() - start, event))
    received = [event for _, event in arrivals]
    assert received == [
        TextDelta("Hel"),
        TextDelta("lo"),
        TextDelta(" world"),
        Stop("end_turn"),
        Usage(12, 3),
    ]
    first, last = arrivals[0][0], arrivals[2][0]
    assert first < 0.25  # forwarded as it arrived, not held until the end
    assert last - first >= 0.5  # the two 0.3 s pauses sit between the first and last delta


def test_request_without_tools_has_no_tool_config(provider, emulator):
    run(provider, ask(max_tokens=321))
    (request,) = emulator.requests
    assert request["model_id"] == MODEL_ID
    assert request["body"]["system"] == [{"text": "Be brief."}]
    assert request["body"]["messages"] == USER
    assert request["body"]["inferenceConfig"] == {"maxTokens": 321}
    assert "toolConfig" not in request["body"]


def test_botocore_sends_one_request_per_call_and_signs_it(provider, emulator):
    run(provider)
    headers = emulator.requests[0]["headers"]
    assert headers["amz-sdk-request"].endswith("max=1")  # botocore itself never retries
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=test-access-key/")


def test_tool_use_is_assembled_and_tool_config_resent(provider, emulator):
    emulator.enqueue(
        tool_use_reply("tooluse_1", "lookup_invoice", {"number": "INV-7"}, "Checking."),
        text_reply("INV-7 is paid."),
    )
    first, error = run(provider, ask([LOOKUP]))
    assert error is None
    assert first == [
        TextDelta("Checking."),
        ToolUse("tooluse_1", "lookup_invoice", {"number": "INV-7"}),
        Stop("tool_use"),
        Usage(10, 5),
    ]
    result = {"json": {"outcome": "ok", "result": {"status": "paid", "total": 1250.5}}}
    follow_up = [
        *USER,
        {
            "role": "assistant",
            "content": [
                {"text": "Checking."},
                {
                    "toolUse": {
                        "toolUseId": "tooluse_1",
                        "name": "lookup_invoice",
                        "input": {"number": "INV-7"},
                    }
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "tooluse_1", "content": [result], "status": "success"}}
            ],
        },
    ]
    second, error = run(provider, ask([LOOKUP], follow_up))
    assert error is None
    assert texts(second) == ["INV-7 is paid."]
    assert [r["body"]["toolConfig"] for r in emulator.requests] == [LOOKUP_CONFIG] * 2
    assert emulator.requests[1]["body"]["messages"] == follow_up


def test_several_tool_uses_in_one_message(provider, emulator):
    emulator.enqueue(
        stream(
            message_start(),
            tool_use_block("t-a", "lookup_invoice", {"number": "A"}, index=0, pieces=4),
            tool_use_block("t-b", "lookup_invoice", {}, index=1),
            message_stop("tool_use"),
            metadata(),
        )
    )
    received, error = run(provider, ask([LOOKUP]))
    assert error is None
    uses = [event for event in received if isinstance(event, ToolUse)]
    assert uses == [
        ToolUse("t-a", "lookup_invoice", {"number": "A"}),
        ToolUse("t-b", "lookup_invoice", {}),
    ]


@pytest.mark.parametrize("partial_json", ['{"number": ', "[1, 2]"])
def test_tool_input_that_is_not_a_json_object_is_a_model_error(provider, emulator, partial_json):
    emulator.enqueue(
        stream(
            message_start(),
            tool_use_start("t-1", "lookup_invoice"),
            tool_use_delta(partial_json),
            block_stop(),
            message_stop("tool_use"),
            metadata(),
        )
    )
    received, error = run(provider, ask([LOOKUP]))
    assert (received, error.code, len(emulator.requests)) == ([], "MODEL_ERROR", 1)


@pytest.mark.parametrize(
    "bedrock_reason, reason",
    [("max_tokens", "max_tokens"), ("stop_sequence", "end_turn"), ("end_turn", "end_turn")],
)
def test_stop_reason(provider, emulator, bedrock_reason, reason):
    emulator.enqueue(text_reply("x", stop_reason=bedrock_reason))
    received, _ = run(provider)
    assert Stop(reason) in received


# --- provider: failures before the stream (plain HTTP errors) ---------------------------------


def test_throttled_twice_then_success_is_retried_with_backoff(provider, emulator):
    throttled = http_error(429, "ThrottlingException", "Too many requests")
    emulator.enqueue(throttled, throttled, text_reply("Fine."))
    start = time.monotonic()
    received, error = run(provider)
    elapsed = time.monotonic() - start
    assert error is None
    assert texts(received) == ["Fine."]
    assert len(emulator.requests) == 3
    assert 3 * BASE_DELAY <= elapsed < 3 * BASE_DELAY + 0.25  # waited base, then 2 × base


@pytest.mark.parametrize(
    "status, error_type, code",
    [
        (400, "ValidationException", "MODEL_REQUEST_INVALID"),
        (403, "AccessDeniedException", "MODEL_ACCESS_DENIED"),
        (404, "ResourceNotFoundException", "MODEL_NOT_FOUND"),
        (424, "ModelErrorException", "MODEL_ERROR"),
    ],
)
def test_permanent_http_errors_are_not_retried(provider, emulator, status, error_type, code):
    emulator.default = http_error(status, error_type, "no")
    received, error = run(provider)
    assert (received, error.code, error.retryable) == ([], code, False)
    assert len(emulator.requests) == 1


@pytest.mark.parametrize(
    "status, error_type, code",
    [
        (429, "ThrottlingException", "MODEL_THROTTLED"),
        (503, "ServiceUnavailableException", "MODEL_UNAVAILABLE"),
        (500, "InternalServerException", "MODEL_UNAVAILABLE"),
        (429, "ModelNotReadyException", "MODEL_UNAVAILABLE"),
        (408, "ModelTimeoutException", "MODEL_TIMEOUT"),
        (502, "BadGatewayException", "MODEL_UNAVAILABLE"),  # unknown, but a 5xx
    ],
)
def test_transient_http_errors_are_retried_then_reported(
    provider, emulator, status, error_type, code
):
    emulator.default = http_error(status, error_type, "later")
    received, error = run(provider)
    assert (received, error.code, error.retryable) == ([], code, True)
    assert len(emulator.requests) == 1 + 3  # the first try and RETRY_ATTEMPTS retries


def test_unknown_client_error_is_a_defect_not_retried(provider, emulator):
    emulator.default = http_error(418, "TeapotException", "odd")
    with pytest.raises(ClientError):
        run(provider)
    assert len(emulator.requests) == 1


@pytest.mark.parametrize(
    "hang_up, code", [(True, "MODEL_CONNECTION_LOST"), (False, "MODEL_TIMEOUT")]
)
def test_no_response_at_all_is_retried_then_reported(bedrock_app, hang_up, code):
    with bare_endpoint(hang_up) as (url, requests):
        app = bedrock_app(BEDROCK_ENDPOINT_URL=url, BEDROCK_READ_TIMEOUT=0.3, RETRY_ATTEMPTS=1)
        received, error = run(app.extensions["model"])
        assert (received, error.code, error.retryable) == ([], code, True)
        assert len(requests) == 2  # one try and one retry


def test_unreachable_endpoint_is_connection_lost_after_retries(bedrock_app):
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = bedrock_app(BEDROCK_ENDPOINT_URL=f"http://127.0.0.1:{port}").extensions["model"]
    start = time.monotonic()
    received, error = run(provider)
    assert (received, error.code) == ([], "MODEL_CONNECTION_LOST")
    assert time.monotonic() - start >= BASE_DELAY + 2 * BASE_DELAY + 0.2  # three backoffs


# --- provider: failures inside the stream -------------------------------------------------------


def test_throttling_after_text_is_reported_not_retried(provider, emulator):
    emulator.enqueue(
        stream(message_start(), text_delta("partial"), exception("throttlingException", "Rate"))
    )
    received, error = run(provider)
    assert texts(received) == ["partial"]
    assert (error.code, len(emulator.requests)) == ("MODEL_THROTTLED", 1)


@pytest.mark.parametrize(
    "failure",
    [
        exception("throttlingException", "Rate"),
        exception("serviceUnavailableException", "Busy"),
        exception("internalServerException", "Oops"),
        drop(),
        pause(0.0),  # the stream just ends: no messageStop
    ],
    ids=["throttling", "unavailable", "internal", "drop", "incomplete"],
)
def test_transient_failure_before_any_text_is_retried(provider, emulator, failure):
    emulator.enqueue(stream(message_start(), failure), text_reply("Fine."))
    received, error = run(provider)
    assert error is None
    assert texts(received) == ["Fine."]
    assert len(emulator.requests) == 2


@pytest.mark.parametrize(
    "exception_type, code",
    [
        ("modelStreamErrorException", "MODEL_ERROR"),
        ("validationException", "MODEL_REQUEST_INVALID"),
        ("someFutureException", "MODEL_ERROR"),  # not in botocore's model: arrives without a code
    ],
)
def test_permanent_failure_in_stream_is_not_retried(provider, emulator, exception_type, code):
    emulator.enqueue(stream(message_start(), exception(exception_type, "no")))
    received, error = run(provider)
    assert (received, error.code, len(emulator.requests)) == ([], code, 1)


def test_dropped_connection_after_text_is_connection_lost(provider, emulator):
    emulator.enqueue(stream(message_start(), text_delta("partial"), drop()))
    received, error = run(provider)
    assert texts(received) == ["partial"]
    assert (error.code, len(emulator.requests)) == ("MODEL_CONNECTION_LOST", 1)


def test_stream_without_message_stop_is_incomplete(provider, emulator):
    emulator.enqueue(stream(message_start(), text_delta("cut")))
    received, error = run(provider)
    assert texts(received) == ["cut"]
    assert (error.code, len(emulator.requests)) == ("MODEL_STREAM_INCOMPLETE", 1)


def test_silence_longer_than_the_read_timeout_is_a_timeout(bedrock_app, emulator):
    provider = bedrock_app(BEDROCK_READ_TIMEOUT=0.3).extensions["model"]
    emulator.enqueue(stream(message_start(), text_delta("slow"), pause(1.0), message_stop()))
    received, error = run(provider)
    assert texts(received) == ["slow"]
    assert (error.code, len(emulator.requests)) == ("MODEL_TIMEOUT", 1)


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


def test_readiness_describes_the_model_without_credentials(client, emulator):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json["checks"]["model"] == {
        "ok": True,
        "provider": "bedrock",
        "model_id": MODEL_ID,
        "region": "us-east-1",
        "endpoint": emulator.url,
    }
    assert SECRET_KEY not in response.get_data(as_text=True)
    assert emulator.requests == []  # readiness does not call the model


def test_tokens_stream_as_token_events_and_complete_carries_usage(client, users, emulator):
    emulator.enqueue(text_reply("Which ", "invoice do you mean?", usage=(12, 3)))
    evts, _ = send(client, users)
    assert [e["type"] for e in evts] == ["start", "token", "token", "complete"]
    assert [e["content"] for e in evts if e["type"] == "token"] == [
        "Which ",
        "invoice do you mean?",
    ]
    assert evts[-1]["usage"] == {"input_tokens": 12, "output_tokens": 3}
    assert evts[-1]["finish_reason"] == "end_turn"
    row = assistant_row(client, users, evts)
    assert (row["status"], row["content"]) == ("complete", "Which invoice do you mean?")
    assert row["metadata"]["usage"] == {"input_tokens": 12, "output_tokens": 3}
    assert emulator.requests[0]["body"]["messages"][-1] == {
        "role": "user",
        "content": [{"text": "How are my invoices?"}],
    }


def test_failure_after_text_is_a_terminal_error_and_the_partial_text_is_kept(
    client, users, emulator
):
    emulator.enqueue(
        tool_use_reply("tooluse_route", "route_to_agents", {"agents": ["invoices"]}),
        stream(
            message_start(),
            text_delta("Partial "),
            text_delta("answer"),
            exception("throttlingException", "Rate exceeded for account 123456789012"),
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
    assert "Rate exceeded" not in body and "123456789012" not in body
    assert len(emulator.requests) == 2  # the route, then the one answer that failed
    row = assistant_row(client, users, evts)
    assert (row["status"], row["content"]) == ("error", "Partial answer")
    assert row["metadata"]["error_code"] == "MODEL_THROTTLED"


def test_throttled_twice_then_success_gives_a_normal_answer(client, users, emulator):
    throttled = http_error(429, "ThrottlingException", "Too many requests")
    emulator.enqueue(throttled, throttled, text_reply("All ", "good."))
    evts, _ = send(client, users)
    assert [e["type"] for e in evts] == ["start", "token", "token", "complete"]
    assert len(emulator.requests) == 3
    assert assistant_row(client, users, evts)["content"] == "All good."


def test_rejected_request_is_an_error_event_without_the_provider_message(client, users, emulator):
    emulator.default = http_error(400, "ValidationException", "messages.0: internal detail xyz")
    evts, body = send(client, users)
    assert [e["type"] for e in evts] == ["start", "error"]
    assert evts[-1]["code"] == "MODEL_REQUEST_INVALID"
    assert evts[-1]["error"] == ERRORS["MODEL_REQUEST_INVALID"].user_message
    assert "internal detail" not in body
    row = assistant_row(client, users, evts)
    assert (row["status"], row["content"]) == ("error", "")
    assert row["metadata"]["error_code"] == "MODEL_REQUEST_INVALID"


def test_tool_use_round_trip_through_the_supervisor_and_an_agent(app, client, users, emulator):
    seed_demo(app.extensions["store"].for_user(Identity(USER_A, "t")))
    route = {"agents": ["invoices"], "reason": "Overdue invoices."}
    emulator.enqueue(
        tool_use_reply("tooluse_route", "route_to_agents", route),
        tool_use_reply("tooluse_overdue", "overdue_summary", {}),
        text_reply("Here are ", "your overdue invoices."),
    )
    evts, _ = send(client, users, "Which invoices are overdue?")

    types = [e["type"] for e in evts]
    assert types == ["start", "agent", "tool_call", "tool_result", "token", "token", "complete"]
    agent, call, result = evts[1:4]
    assert (agent["agent_type"], agent["reason"]) == ("invoices", "Overdue invoices.")
    assert call["tool_call_id"] == result["tool_call_id"] == "tooluse_overdue"
    assert call["tool_name"] == "overdue_summary"
    assert (call["agent_type"], call["input"]) == ("invoices", {})
    assert result["status"] == "ok"
    assert evts[-1]["agent_type"] == "invoices"
    assert evts[-1]["usage"] == {"input_tokens": 30, "output_tokens": 15}  # three model calls

    supervisor, first_call, answer = emulator.requests
    route_tools = supervisor["body"]["toolConfig"]["tools"]
    assert [t["toolSpec"]["name"] for t in route_tools] == ["route_to_agents", "reply_to_user"]
    assert supervisor["body"]["toolConfig"]["toolChoice"] == {"any": {}}  # no chatter possible
    assert "toolChoice" not in first_call["body"]["toolConfig"]  # agents choose freely
    invoice_tools = [t["toolSpec"]["name"] for t in first_call["body"]["toolConfig"]["tools"]]
    assert "overdue_summary" in invoice_tools
    assert answer["body"]["toolConfig"] == first_call["body"]["toolConfig"]  # resent
    assistant_turn, tool_results = answer["body"]["messages"][-2:]
    assert assistant_turn == {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "tooluse_overdue", "name": "overdue_summary", "input": {}}}
        ],
    }
    (block,) = tool_results["content"]
    assert tool_results["role"] == "user"
    assert (block["toolResult"]["toolUseId"], block["toolResult"]["status"]) == (
        "tooluse_overdue",
        "success",
    )
    (content,) = block["toolResult"]["content"]
    assert content["json"]["outcome"] == "ok"
    assert content["json"]["result"]["count"] >= 1  # the seeded overdue invoices, as JSON
    assert content["json"]["result"]["summary"] == result["summary"]

    row = assistant_row(client, users, evts)
    assert (row["status"], row["agent_type"]) == ("complete", "invoices")
    assert row["content"] == "Here are your overdue invoices."
    assert [c["name"] for c in row["metadata"]["tool_calls"]] == ["overdue_summary"]


# --- the supervisor's own reply streams; its failures keep what was said --------------------


def reply_call(kind: str = "clarify") -> Script:
    return tool_use_reply("tooluse_reply", "reply_to_user", {"kind": kind, "reason": "Unclear."})


def test_a_clarifying_reply_streams_as_the_model_writes_it(app, client, users, emulator):
    words = [f"word{n} " for n in range(12)]
    emulator.enqueue(reply_call(), text_reply(*words, delay=0.3))
    response = client.post(
        "/api/chat/stream", json={"message": "hmm"}, headers=users.a, buffered=False
    )
    arrivals, body = [], ""
    for chunk in response.response:
        text = chunk.decode()
        body += text
        arrivals += [time.monotonic()] * text.count("event: token")
    evts = events(parse_sse(body))
    assert [e["content"] for e in evts if e["type"] == "token"] == words
    assert len(arrivals) >= 4 and arrivals[-1] - arrivals[0] >= 1.5  # not one burst
    assert {e["agent_type"] for e in evts if e["type"] == "token"} == {"supervisor"}
    assert evts[-1]["type"] == "complete" and evts[-1]["agent_type"] == "supervisor"
    routing, reply = emulator.requests
    assert routing["body"]["toolConfig"]["toolChoice"] == {"any": {}}
    assert "toolConfig" not in reply["body"]  # the reply is plain text
    assert assistant_row(client, users, evts)["content"] == "".join(words)


def test_text_written_before_a_route_is_never_shown(app, client, users, emulator):
    route = {"agents": ["tasks"], "reason": "Tasks."}
    emulator.enqueue(
        tool_use_reply("tooluse_route", "route_to_agents", route, text_before="Let me see… "),
        text_reply("You have no tasks."),
    )
    evts, body = send(client, users, "what tasks are due?")
    assert "Let me see" not in body
    tokens = [e["content"] for e in evts if e["type"] == "token"]
    assert "".join(tokens) == "You have no tasks."


FAILURES_AFTER_TEXT = {
    "MODEL_THROTTLED": [exception("throttlingException", "Rate")],
    "MODEL_CONNECTION_LOST": [drop()],
    "MODEL_STREAM_INCOMPLETE": [],  # the body ends with no messageStop
}


@pytest.mark.parametrize(
    "said, code",
    [(["Which ", "invoice"], code) for code in FAILURES_AFTER_TEXT] + [([], "MODEL_THROTTLED")],
)
def test_a_reply_that_fails_keeps_its_words_and_the_next_turn_is_valid(
    app, client, users, emulator, said, code
):
    failure = FAILURES_AFTER_TEXT[code]
    emulator.enqueue(
        reply_call(),
        stream(message_start(), *[text_delta(w) for w in said], *failure),
    )
    if not said:  # before any text a throttle is retried: let every retry fail too
        emulator.enqueue(*[stream(message_start(), exception("throttlingException", "Rate"))] * 3)
    evts, _ = send(client, users, "the first message")
    assert [e["content"] for e in evts if e["type"] == "token"] == said
    assert evts[-1]["type"] == "error" and evts[-1]["code"] == code
    row = assistant_row(client, users, evts)
    assert (row["status"], row["content"]) == ("error", "".join(said))
    assert row["metadata"]["error_code"] == code

    emulator.requests.clear()
    emulator.enqueue(reply_call("answer"), text_reply("Happy to help."))
    response = client.post(
        "/api/chat/stream",
        json={"message": "the second message", "conversation_id": evts[0]["conversation_id"]},
        headers=users.a,
    )
    again = events(parse_sse(response.get_data(as_text=True)))
    assert again[-1]["type"] == "complete"
    messages = emulator.requests[0]["body"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]  # they alternate
    assert [m["content"][0]["text"] for m in messages[::2]] == [
        "the first message",
        "the second message",
    ]  # the failed message is not merged into the next
    answer = messages[1]["content"][0]["text"]
    assert answer == ("".join(said) or "(No answer: that reply failed before it said anything.)")


# --- the model remembers what its tools did -------------------------------------------------


def tool_results_text(request: dict) -> str:
    return "\n".join(
        block.get("text", "") for m in request["body"]["messages"] for block in m["content"]
    )


def test_a_follow_up_sees_the_records_the_last_turn_touched(app, client, users, emulator):
    seed_demo(app.extensions["store"].for_user(Identity(USER_A, "t")))
    route = {"agents": ["invoices"], "reason": "Invoices."}
    emulator.enqueue(
        tool_use_reply("tooluse_route", "route_to_agents", route),
        tool_use_reply("tooluse_list", "list_invoices", {"status": "overdue"}),
        text_reply("INV-1002 is overdue. Shall I remind them?"),
    )
    first, _ = send(client, users, "which invoices are overdue?")
    overdue = (
        app.extensions["store"].for_user(Identity(USER_A, "t")).list_records("invoices", limit=50)
    )
    [inv] = [i for i in overdue if i["invoice_number"] == "INV-1002"]

    emulator.requests.clear()
    emulator.enqueue(reply_call("answer"), text_reply("Done."))
    client.post(
        "/api/chat/stream",
        json={"message": "yes, do that", "conversation_id": first[0]["conversation_id"]},
        headers=users.a,
    ).get_data()
    seen = tool_results_text(emulator.requests[0])
    assert "list_invoices (ok)" in seen and inv["id"] in seen and "INV-1002" in seen
    assert [m["role"] for m in emulator.requests[0]["body"]["messages"]] == [
        "user",
        "assistant",
        "user",
    ]


def test_a_later_agent_sees_what_the_earlier_one_did(app, client, users, emulator):
    seed_demo(app.extensions["store"].for_user(Identity(USER_A, "t")))
    route = {"agents": ["invoices", "tasks"], "reason": "Both."}
    emulator.enqueue(
        tool_use_reply("tooluse_route", "route_to_agents", route),
        tool_use_reply("tooluse_list", "list_invoices", {"status": "overdue"}),
        text_reply("INV-1002 is overdue."),
        text_reply("I'll note a task."),
    )
    evts, _ = send(client, users, "chase the overdue invoice and add a task for it")
    assert evts[-1]["type"] == "complete"
    invoices_answer, tasks_call = emulator.requests[2], emulator.requests[3]
    assert "Earlier in this turn" not in invoices_answer["body"]["system"][0]["text"]
    shared = tasks_call["body"]["system"][0]["text"]
    assert "Earlier in this turn, other agents ran" in shared and "INV-1002" in shared


def test_a_long_conversation_is_folded_into_a_summary_the_model_writes(
    bedrock_app, users, emulator
):
    app = bedrock_app(HISTORY_TOKEN_BUDGET=40)
    client = app.test_client()
    long_answer = "This answer is long enough to fill the whole history budget. " * 3
    conversation_id = None
    for turn in range(1, 4):
        emulator.enqueue(reply_call("answer"), text_reply(f"Answer {turn}. {long_answer}"))
        if turn == 3:  # five messages no longer fit: folded after the turn
            emulator.enqueue(
                tool_use_reply("tooluse_sum", "save_summary", {"summary": "SUMMARY: turns 1-2."})
            )
        body = {"message": f"question {turn}"}
        if conversation_id:
            body["conversation_id"] = conversation_id
        evts = events(
            parse_sse(
                client.post("/api/chat/stream", json=body, headers=users.a).get_data(as_text=True)
            )
        )
        assert evts[-1]["type"] == "complete"
        conversation_id = evts[0]["conversation_id"]

    def stored() -> dict:
        messages = client.get(f"/api/conversations/{conversation_id}", headers=users.a).json
        return messages["messages"][-1]["metadata"].get("summary") or {}

    deadline = time.monotonic() + 15  # written after the turn; a loaded machine is slow
    while not stored() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored().get("text") == "SUMMARY: turns 1-2.", stored()
    folding = emulator.requests[6]
    assert folding["body"]["toolConfig"]["toolChoice"] == {"any": {}}
    assert "question 1" in folding["body"]["messages"][0]["content"][0]["text"]

    emulator.requests.clear()
    emulator.enqueue(reply_call("answer"), text_reply("Answer 4."))
    client.post(
        "/api/chat/stream",
        json={"message": "question 4", "conversation_id": conversation_id},
        headers=users.a,
    ).get_data()
    routing = emulator.requests[0]["body"]
    assert "SUMMARY: turns 1-2." in routing["system"][0]["text"]
    sent = " ".join(b["text"] for m in routing["messages"] for b in m["content"])
    assert len(sent) // 4 + 1 <= 40  # the messages themselves stay within the budget
