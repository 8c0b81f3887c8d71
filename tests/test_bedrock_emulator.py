"""The Bedrock emulator is parsed correctly by an unmodified boto3 client."""

from __future__ import annotations

import json
import time

import boto3
import pytest
import urllib3
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError, EventStreamError

from tests.bedrock_emulator import (
    BedrockEmulator,
    drop,
    encode_frame,
    exception,
    http_error,
    message_start,
    stream,
    text_delta,
    text_reply,
    tool_use_reply,
)

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
USER = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.fixture
def emulator():
    emu = BedrockEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def client(emulator):
    # NB: in botocore's `retries` dict, "max_attempts" counts *retries* (legacy meaning), so
    # max_attempts=1 means up to 2 requests (header "amz-sdk-request: attempt=1; max=2").
    config = Config(
        retries={"max_attempts": 1, "mode": "standard"}, read_timeout=5, connect_timeout=2
    )
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=config,
    )


def converse(client, **kwargs):
    return client.converse_stream(modelId=kwargs.pop("modelId", MODEL), messages=USER, **kwargs)


def test_frames_decode_with_botocores_own_decoder():
    buffer = EventStreamBuffer()
    buffer.add_data(encode_frame({":message-type": "event", ":event-type": "x"}, b'{"a":1}'))
    (message,) = list(buffer)  # validates both CRCs and the lengths
    assert message.headers == {":message-type": "event", ":event-type": "x"}
    assert message.payload == b'{"a":1}'


def test_text_chunks_arrive_in_order_with_documented_shapes(client, emulator):
    emulator.enqueue(text_reply("Hel", "lo", " world", usage=(12, 3)))
    response = converse(client)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    events = list(response["stream"])
    # The "p" padding field on the wire is dropped by botocore: shapes match exactly.
    assert events == [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "lo"}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": " world"}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {
            "metadata": {
                "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
                "metrics": {"latencyMs": 120},
            }
        },
    ]


def test_empty_queue_plays_default_ok_reply(client):
    events = list(converse(client)["stream"])
    texts = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
    assert texts == ["OK"]
    assert events[-2] == {"messageStop": {"stopReason": "end_turn"}}


def test_chunks_are_delivered_as_they_are_produced(client, emulator):
    emulator.enqueue(text_reply("a", "b", "c", delay=0.3))
    start = time.monotonic()
    arrivals = [
        time.monotonic() - start
        for event in converse(client)["stream"]
        if "contentBlockDelta" in event
    ]
    assert len(arrivals) == 3
    assert arrivals[0] < 0.25  # not held back until the end of the response
    assert arrivals[2] - arrivals[0] >= 0.5  # two 0.3 s pauses between first and last


def test_tool_use_block(client, emulator):
    tool_input = {"city": "Paris", "days": [1, 2], "units": "metric"}
    emulator.enqueue(tool_use_reply("tooluse_abc123", "get_weather", tool_input, "Checking."))
    events = list(converse(client)["stream"])

    assert events[1] == {
        "contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Checking."}}
    }
    starts = [e["contentBlockStart"] for e in events if "contentBlockStart" in e]
    assert starts == [
        {
            "contentBlockIndex": 1,
            "start": {"toolUse": {"toolUseId": "tooluse_abc123", "name": "get_weather"}},
        }
    ]
    partials = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert len(partials) > 1
    assert json.loads("".join(partials)) == tool_input
    assert {"contentBlockStop": {"contentBlockIndex": 1}} in events
    assert events[-2] == {"messageStop": {"stopReason": "tool_use"}}
    assert "metadata" in events[-1]


def test_mid_stream_exception_raises_event_stream_error(client, emulator):
    emulator.enqueue(
        stream(message_start(), text_delta("partial"), exception("throttlingException", "Rate"))
    )
    received = []
    with pytest.raises(EventStreamError) as info:
        for event in converse(client)["stream"]:
            received.append(event)
    # Mid-stream codes are the camelCase union member names, not "ThrottlingException".
    assert info.value.response["Error"] == {"Code": "throttlingException", "Message": "Rate"}
    assert received[-1]["contentBlockDelta"]["delta"]["text"] == "partial"


def test_http_429_raises_client_error_on_the_call(client, emulator):
    emulator.enqueue(
        http_error(429, "ThrottlingException", "Too many requests"),
        http_error(429, "ThrottlingException", "Too many requests"),
    )
    with pytest.raises(ClientError) as info:
        converse(client)
    error = info.value.response
    assert error["Error"] == {"Code": "ThrottlingException", "Message": "Too many requests"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    # max_attempts=1 in the retries dict allows one retry: both scripted errors were consumed.
    attempts = [r["headers"]["amz-sdk-request"] for r in emulator.requests]
    assert [a.split("attempt=")[1] for a in attempts] == ["1; max=2", "2; max=2"]


@pytest.mark.parametrize(
    "status, code",
    [
        (400, "ValidationException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (424, "ModelErrorException"),
        (500, "InternalServerException"),
        (503, "ServiceUnavailableException"),
    ],
)
def test_other_http_errors(client, emulator, status, code):
    emulator.default = http_error(status, code, "nope")  # every attempt, retries included
    with pytest.raises(ClientError) as info:
        converse(client)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert isinstance(info.value, getattr(client.exceptions, code))


def test_dropped_connection_raises_urllib3_protocol_error(client, emulator):
    emulator.enqueue(stream(message_start(), text_delta("partial"), drop()))
    received = []
    # botocore hands the raw urllib3 response to EventStream and does not wrap read errors:
    # iterating raises urllib3.exceptions.ProtocolError("Response ended prematurely").
    with pytest.raises(urllib3.exceptions.ProtocolError, match="ended prematurely"):
        for event in converse(client)["stream"]:
            received.append(event)
    assert received[-1]["contentBlockDelta"]["delta"]["text"] == "partial"


def test_stream_without_message_stop_ends_cleanly(client, emulator):
    emulator.enqueue(stream(message_start(), text_delta("cut")))
    events = list(converse(client)["stream"])
    assert [next(iter(e)) for e in events] == ["messageStart", "contentBlockDelta"]


def test_requests_are_recorded_with_parsed_body(client, emulator):
    model_id = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude"
    tool = {
        "toolSpec": {
            "name": "get_weather",
            "description": "Weather for a city",
            "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
        }
    }
    list(
        converse(
            client,
            modelId=model_id,
            system=[{"text": "Be brief."}],
            toolConfig={"tools": [tool]},
            inferenceConfig={"maxTokens": 256, "temperature": 0.2},
        )["stream"]
    )
    (request,) = emulator.requests
    assert request["model_id"] == model_id  # URL-decoded from the path
    assert request["body"]["messages"] == USER
    assert request["body"]["system"] == [{"text": "Be brief."}]
    assert request["body"]["toolConfig"] == {"tools": [tool]}
    assert request["body"]["inferenceConfig"] == {"maxTokens": 256, "temperature": 0.2}
    assert request["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256")
