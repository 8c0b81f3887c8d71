"""The OpenAI-compatible provider's failures: HTTP errors, servers and proxies that fail or
never answer, and errors inside the stream, each mapped to the row of the translation table
Bedrock's equivalent maps to, and retried only before the first event. The scenarios are
those of tests/test_bedrock.py, in this protocol's terms.

Real httpx requests against the emulator (tests/openai_emulator.py) or a bare TCP endpoint;
nothing of ours is mocked.
"""

from __future__ import annotations

import logging
import socket
import time
import zlib

import httpx
import pytest

from canvalo_app.llm.openai import OpenAIProvider, classify
from tests.helpers import bare_endpoint
from tests.openai_fixtures import (  # noqa: F401  (the fixtures `emulator`, `app`, `provider`, …)
    BASE_DELAY,
    app_fixture,
    emulator_fixture,
    openai_app_fixture,
    provider_fixture,
    run,
    texts,
)
from tests.openai_scripts import (
    Script,
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
)

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


def gzipped(*events: str) -> bytes:
    """The start of a gzip body: `events`, flushed so that a reader can decode them at once."""
    packer = zlib.compressobj(wbits=31)
    return packer.compress("".join(events).encode()) + packer.flush(zlib.Z_SYNC_FLUSH)


PARTIAL = 'data: {"choices": [{"index": 0, "delta": {"content": "partial"}}]}\n\n'
GZIP = {"Content-Encoding": "gzip"}


def test_a_body_that_cannot_be_decoded_is_a_broken_stream_retried_before_any_text(
    provider, emulator
):
    emulator.enqueue(Script([raw(b"this is not gzip")], GZIP), text_reply("Fine."))
    received, error = run(provider)
    assert (error, texts(received), len(emulator.requests)) == (None, ["Fine."], 2)
    emulator.enqueue(Script([raw(gzipped(PARTIAL)), raw(b"\xff" * 64)], GZIP))
    received, error = run(provider)
    assert (texts(received), error.code, error.retryable) == (
        ["partial"],
        "MODEL_STREAM_INCOMPLETE",
        True,
    )
    assert len(emulator.requests) == 3  # after text: reported, not retried


def test_a_proxy_that_refuses_the_connection_is_connection_lost_after_retries(
    openai_app, monkeypatch
):
    refusal = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
    with bare_endpoint(hang_up=True, reply=refusal) as (proxy_url, connects):
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy_url.removesuffix("/v1"))
        app = openai_app(OPENAI_BASE_URL="https://models.example.com/v1", RETRY_ATTEMPTS=1)
        received, error = run(app.extensions["model"])
        assert (received, error.code, error.retryable) == ([], "MODEL_CONNECTION_LOST", True)
        assert len(connects) == 2  # one try and one retry, both through the proxy


def test_a_key_no_header_can_carry_is_a_model_error_that_never_shows_the_key(app, emulator, caplog):
    bad_key = "sk-pasted\nwith-a-line-break"
    provider = OpenAIProvider({**app.config, "OPENAI_API_KEY": bad_key})
    try:
        with caplog.at_level(logging.INFO):  # (httpcore's DEBUG trace quotes every header)
            received, error = run(provider)
    finally:
        provider.close()
    assert (received, error.code, error.retryable) == ([], "MODEL_ERROR", False)
    assert emulator.requests == []  # h11 refused to write it: nothing was sent
    assert "LocalProtocolError" in caplog.text
    assert "sk-pasted" not in caplog.text and "sk-pasted" not in str(error)


@pytest.mark.parametrize(
    "failure, code",
    [
        (httpx.UnsupportedProtocol("no such scheme"), "MODEL_CONNECTION_LOST"),
        (httpx.ProxyError("407 Proxy Authentication Required"), "MODEL_CONNECTION_LOST"),
        (httpx.TooManyRedirects("Exceeded maximum allowed redirects."), "MODEL_ERROR"),
    ],
)
def test_every_httpx_failure_has_a_code(failure, code):
    assert classify(failure).code == code


def test_a_failure_that_is_not_the_servers_is_left_a_defect():
    defect = KeyError("messages")
    assert classify(defect) is defect


def test_closing_the_provider_closes_its_connections_to_the_server(provider, emulator):
    others = emulator.connections  # earlier tests' clients may still hold theirs
    received, error = run(provider)
    assert (error, texts(received)) == (None, ["OK"])
    assert emulator.connections == others + 1  # kept alive
    provider.close()
    deadline = time.monotonic() + 2.0
    while emulator.connections > others and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emulator.connections == others
