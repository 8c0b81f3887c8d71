"""The chat-completions emulator speaks the wire format: checked byte for byte, and read
back with httpx-sse (the decoder OpenAI's own Python client derives from)."""

from __future__ import annotations

import json
import time
import zlib

import httpx
import pytest
from httpx_sse import connect_sse

from tests.openai_emulator import OpenAIEmulator
from tests.openai_scripts import (
    Script,
    drop,
    http_error,
    pause,
    raw,
    role,
    stream,
    stream_error,
    text,
    text_reply,
    tool_reply,
)

BODY = {
    "model": "llama3.1:8b",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}


@pytest.fixture
def emulator():
    emu = OpenAIEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def http():
    with httpx.Client(timeout=5.0) as client:
        yield client


def chunks(http, emulator, body=BODY) -> list:
    """The parsed data of every event, "[DONE]" kept as the string it is."""
    with connect_sse(http, "POST", f"{emulator.url}/chat/completions", json=body) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [e.data if e.data == "[DONE]" else json.loads(e.data) for e in source.iter_sse()]


def test_the_bytes_on_the_wire_are_data_lines_and_done(http, emulator):
    emulator.enqueue(text_reply("Hi"))
    response = http.post(f"{emulator.url}/chat/completions", json=BODY)
    assert response.headers["transfer-encoding"] == "chunked"
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(event.startswith("data: {") for event in events[:-2])
    assert len(events) == 6  # role, text, finish, usage, [DONE], and the empty tail


def test_a_text_reply_has_the_documented_chunk_shapes(http, emulator):
    emulator.enqueue(text_reply("Hel", "lo", usage_=(12, 3)))
    received = chunks(http, emulator)
    assert received[-1] == "[DONE]"
    first, *texts, finish, usage = received[:-1]
    assert first["object"] == "chat.completion.chunk" and first["model"] == "llama3.1:8b"
    assert first["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["delta"]["content"] for c in texts] == ["Hel", "lo"]
    assert all(c["usage"] is None for c in [first, *texts, finish])  # include_usage: null
    assert finish["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert usage["choices"] == []
    assert usage["usage"] == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


def test_without_include_usage_there_is_no_usage_at_all(http, emulator):
    body = {key: value for key, value in BODY.items() if key != "stream_options"}
    received = chunks(http, emulator, body)
    assert all("usage" not in c for c in received[:-1])
    assert all(c["choices"] for c in received[:-1])


def test_tool_calls_stream_by_index_with_arguments_cut_mid_token(http, emulator):
    first_args = {"number": "INV-7", "include_payments": True}
    emulator.enqueue(
        tool_reply(("call_a", "lookup_invoice", first_args), ("call_b", "list_tasks", {}))
    )
    calls: dict[int, dict] = {}
    fragments = []
    finish = None
    for chunk in chunks(http, emulator)[:-1]:
        for choice in chunk["choices"]:
            finish = choice["finish_reason"] or finish
            for delta in choice["delta"].get("tool_calls", []):
                call = calls.setdefault(delta["index"], {"arguments": ""})
                call.update({k: v for k, v in delta.items() if k in ("id", "type")})
                call["name"] = call.get("name") or delta["function"].get("name")
                call["arguments"] += delta["function"]["arguments"]
                fragments.append(delta["function"]["arguments"])
    assert finish == "tool_calls"
    assert calls[0] == {
        "id": "call_a",
        "type": "function",
        "name": "lookup_invoice",
        "arguments": json.dumps(first_args),
    }
    assert (calls[1]["id"], calls[1]["name"], json.loads(calls[1]["arguments"])) == (
        "call_b",
        "list_tasks",
        {},
    )
    assert any(f and not f.endswith(('"', ",", "{", "}", " ", ":")) for f in fragments)


def test_http_errors_are_json_with_retry_after(http, emulator):
    emulator.enqueue(http_error(429, "Slow down", "requests", "rate_limit_exceeded", "2"))
    response = http.post(f"{emulator.url}/chat/completions", json=BODY)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json() == {
        "error": {
            "message": "Slow down",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }


def test_an_error_in_the_stream_is_an_error_event_and_the_end(http, emulator):
    emulator.enqueue(stream(role(), text("par"), stream_error("Overloaded"), text("never")))
    received = chunks(http, emulator)
    assert received[-1] == {
        "error": {"message": "Overloaded", "type": "server_error", "param": None, "code": None}
    }
    assert "never" not in json.dumps(received)


def test_a_dropped_connection_is_an_incomplete_chunked_body(http, emulator):
    emulator.enqueue(stream(role(), text("partial"), drop()))
    received = []
    url = f"{emulator.url}/chat/completions"
    with pytest.raises(httpx.RemoteProtocolError), connect_sse(http, "POST", url, json=BODY) as src:
        received.extend(json.loads(e.data) for e in src.iter_sse())
    assert received[-1]["choices"][0]["delta"]["content"] == "partial"


def test_chunks_are_sent_as_they_are_produced_and_comments_pass(http, emulator):
    emulator.enqueue(stream(raw(": keep-alive\n\n"), text("a"), pause(0.4), text("b")))
    start = time.monotonic()
    arrivals = []
    with connect_sse(http, "POST", f"{emulator.url}/chat/completions", json=BODY) as source:
        for event in source.iter_sse():
            arrivals.append((time.monotonic() - start, json.loads(event.data)))
    assert [c["choices"][0]["delta"]["content"] for _, c in arrivals] == ["a", "b"]
    assert arrivals[0][0] < 0.3 and arrivals[1][0] - arrivals[0][0] >= 0.35


def test_requests_are_recorded_and_the_default_reply_played(http, emulator):
    headers = {"Authorization": "Bearer sk-test"}
    with connect_sse(
        http, "POST", f"{emulator.url}/chat/completions", json=BODY, headers=headers
    ) as source:
        received = [e.data for e in source.iter_sse()]
    assert json.loads(received[1])["choices"][0]["delta"]["content"] == "OK"
    (request,) = emulator.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["body"] == BODY
    assert request["headers"]["Authorization"] == "Bearer sk-test"


def test_an_unknown_path_is_a_json_404(http, emulator):
    response = http.post(f"{emulator.url}/completions", json=BODY)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
    assert emulator.requests == []


def test_a_scripts_headers_are_sent_and_its_bytes_written_as_they_are(http, emulator):
    data = b'data: {"choices": []}\n\ndata: [DONE]\n\n'
    emulator.enqueue(Script([raw(zlib.compress(data, wbits=31))], {"Content-Encoding": "gzip"}))
    response = http.post(f"{emulator.url}/chat/completions", json=BODY)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == data  # decoded by httpx from the very bytes written


def test_open_connections_are_counted_until_the_client_closes_them(emulator):
    with httpx.Client(timeout=5.0) as client:
        client.post(f"{emulator.url}/chat/completions", json=BODY).read()
        client.post(f"{emulator.url}/chat/completions", json=BODY).read()
        assert (len(emulator.requests), emulator.connections) == (2, 1)  # one, kept alive
    deadline = time.monotonic() + 2.0
    while emulator.connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emulator.connections == 0
