"""Any OpenAI-compatible chat-completions server — OpenAI, Ollama, vLLM, llama.cpp's server —
through one streamed `POST {OPENAI_BASE_URL}/chat/completions` per model call.

One httpx pool per provider (so per app and worker); under gevent its sockets are cooperative.
As for Bedrock, `retry_transient` owns retries and retries only before the first event was
yielded; a 429's `Retry-After` (capped at RETRY_MAX_DELAY) makes the next try wait at least
that long. `classify` maps HTTP statuses, error objects and httpx failures to rows of the one
translation table, the same rows Bedrock's failures map to. The wire format is openai_wire.py.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from ..errors import AppError
from ..resilience import RetryPolicy, retry_transient
from .base import ModelEvent, ModelProvider, ModelRequest
from .openai_wire import StreamErrorObject, chat_events, estimate_tokens, request_body, sse_data

log = logging.getLogger(__name__)

#: Concurrent streams one worker may hold open to the server (one gevent worker serves them all).
MAX_POOL_CONNECTIONS = 200

#: The status of an error answer before the stream; any other 5xx is MODEL_UNAVAILABLE and any
#: other 4xx MODEL_ERROR. 408 and 409 are retried, as OpenAI's own client does.
STATUS_CODES = {
    400: "MODEL_REQUEST_INVALID",
    401: "MODEL_ACCESS_DENIED",
    403: "MODEL_ACCESS_DENIED",
    404: "MODEL_NOT_FOUND",
    408: "MODEL_TIMEOUT",
    409: "MODEL_UNAVAILABLE",
    413: "MODEL_REQUEST_INVALID",
    422: "MODEL_REQUEST_INVALID",
    429: "MODEL_THROTTLED",
}
#: The `code` or `type` of an error object sent inside the stream (OpenAI's names, and vLLM's
#: exception names), lower-cased. vLLM may send an HTTP status as the `code` instead.
ERROR_NAMES = {
    "rate_limit_exceeded": "MODEL_THROTTLED",
    "rate_limit_error": "MODEL_THROTTLED",
    "server_error": "MODEL_UNAVAILABLE",
    "api_error": "MODEL_UNAVAILABLE",
    "internal_error": "MODEL_UNAVAILABLE",
    "internalservererror": "MODEL_UNAVAILABLE",
    "service_unavailable": "MODEL_UNAVAILABLE",
    "overloaded_error": "MODEL_UNAVAILABLE",
    "timeout": "MODEL_TIMEOUT",
    "invalid_request_error": "MODEL_REQUEST_INVALID",
    "badrequesterror": "MODEL_REQUEST_INVALID",
    "context_length_exceeded": "MODEL_REQUEST_INVALID",
    "authentication_error": "MODEL_ACCESS_DENIED",
    "invalid_api_key": "MODEL_ACCESS_DENIED",
    "permission_error": "MODEL_ACCESS_DENIED",
    "insufficient_quota": "MODEL_ACCESS_DENIED",  # a 429 no wait cures: the account's quota
    "model_not_found": "MODEL_NOT_FOUND",
    "not_found_error": "MODEL_NOT_FOUND",
    "notfounderror": "MODEL_NOT_FOUND",
}


class ModelHTTPError(Exception):
    """An error answer instead of a stream: its status, the error object of its body, and the
    seconds its `Retry-After` asked for (None when it named none)."""

    def __init__(self, status: int, error: dict, retry_after: float | None = None):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.error = error
        self.retry_after = retry_after


def classify(exc: Exception) -> Exception:
    """The AppError a failure of the server means; anything unrecognised is a defect, unchanged."""
    if isinstance(exc, ModelHTTPError):
        return _answered_with_error(exc)
    if isinstance(exc, StreamErrorObject):
        return _error_in_stream(exc.error)
    if isinstance(exc, httpx.HTTPError):
        return _transport_failure(exc)
    return exc


def _transport_failure(exc: httpx.HTTPError) -> AppError:
    """What a failure of httpx means: a timeout; a connection (or a proxy) that failed or was
    lost; a body it could not decode (a compressed stream cut or corrupted) is a broken stream.
    A request we could not even write (a header h11 refuses) no retry cures."""
    if isinstance(exc, httpx.TimeoutException):
        return AppError("MODEL_TIMEOUT")
    if isinstance(exc, httpx.DecodingError):
        return AppError("MODEL_STREAM_INCOMPLETE")
    if isinstance(exc, httpx.LocalProtocolError):
        # Its message quotes the refused header, which may be the API key: name only the kind.
        log.warning("the request to the model server could not be sent (%s)", type(exc).__name__)
        return AppError("MODEL_ERROR")
    if isinstance(exc, httpx.TransportError):  # network, proxy, remote protocol, scheme
        return AppError("MODEL_CONNECTION_LOST")
    return AppError("MODEL_ERROR")  # e.g. too many redirects: the server's answer is wrong


def _names(error: dict) -> list[str]:
    return [str(error[key]).lower() for key in ("code", "type") if isinstance(error.get(key), str)]


def _for_status(status: int) -> str:
    return STATUS_CODES.get(status) or ("MODEL_UNAVAILABLE" if status >= 500 else "MODEL_ERROR")


def _answered_with_error(exc: ModelHTTPError) -> AppError:
    names = _names(exc.error)
    # The server's message is for operators only: it never goes into an AppError.
    log.warning(
        "model server answered HTTP %s (%s): %s",
        exc.status,
        ",".join(names) or "-",
        str(exc.error.get("message"))[:500],
    )
    code = "MODEL_ACCESS_DENIED" if "insufficient_quota" in names else _for_status(exc.status)
    if code == "MODEL_THROTTLED" and exc.retry_after is not None:
        return AppError(code, details={"retry_after_seconds": exc.retry_after})
    return AppError(code)


def _error_in_stream(error: dict) -> AppError:
    names = _names(error)
    log.warning(
        "model server sent an error in the stream (%s): %s",
        ",".join(names) or "-",
        str(error.get("message"))[:500],
    )
    for name in names:
        if name in ERROR_NAMES:
            return AppError(ERROR_NAMES[name])
    if isinstance(error.get("code"), int):
        return AppError(_for_status(error["code"]))
    return AppError("MODEL_ERROR")


def retry_after(headers: httpx.Headers) -> float | None:
    """The wait a 429 asks for: `retry-after-ms`, or `Retry-After` in seconds or as a date."""
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        if value.strip().replace(".", "", 1).isdigit():
            return float(value)
        waited = parsedate_to_datetime(value) - datetime.now(UTC)
    except (TypeError, ValueError):  # neither a number nor a date with its time zone
        return None
    return max(0.0, waited.total_seconds())


def _error_body(response: httpx.Response) -> dict:
    """The error object of an error answer (`{"error": {...}}`), whatever shape it came in."""
    try:
        body = json.loads(response.read())
    except ValueError:
        return {"message": response.text[:500]}
    error = body.get("error", body) if isinstance(body, dict) else body
    return error if isinstance(error, dict) else {"message": str(error)}


@dataclass
class _Pause:
    """The wait a throttled try asked for, carried to the next try of the same call."""

    until: float = 0.0

    def wait(self) -> None:
        remaining = self.until - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)


class OpenAIProvider(ModelProvider):
    name = "openai"

    def __init__(self, config: dict):
        self.model = config["OPENAI_MODEL"]
        self.url = config["OPENAI_BASE_URL"].rstrip("/") + "/chat/completions"
        self.retry_policy = RetryPolicy.from_config(config)
        headers = {"Accept": "text/event-stream"}
        if config.get("OPENAI_API_KEY"):  # local servers need none; never logged or described
            headers["Authorization"] = f"Bearer {config['OPENAI_API_KEY']}"
        self.http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(
                config["OPENAI_READ_TIMEOUT"], connect=config["OPENAI_CONNECT_TIMEOUT"]
            ),
            limits=httpx.Limits(max_connections=MAX_POOL_CONNECTIONS, max_keepalive_connections=50),
        )

    def describe(self) -> dict:
        address = urlsplit(self.url)
        host = f"{address.hostname}:{address.port}" if address.port else address.hostname
        return {"provider": self.name, "model_id": self.model, "host": host}

    def close(self) -> None:
        """Close the pool's connections to the server (when the app closes)."""
        self.http.close()

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        body = request_body(self.model, request)
        sent = json.dumps(body["messages"]) + json.dumps(body.get("tools", []))
        return self._stream(body, estimate_tokens(len(sent)), _Pause())

    @retry_transient(classify)
    def _stream(self, body: dict, input_tokens: int, pause: _Pause) -> Iterator[ModelEvent]:
        pause.wait()
        with self.http.stream("POST", self.url, json=body) as response:
            if not response.is_success:
                raise self._refused(response, pause)
            lines = response.iter_lines()
            yield from chat_events(sse_data(lines), input_tokens)
            for _ in lines:  # the end of the body after [DONE]: the connection is then reused
                pass

    def _refused(self, response: httpx.Response, pause: _Pause) -> ModelHTTPError:
        """The error of an answer that is not a stream; a 429 sets the next try's wait."""
        wait = retry_after(response.headers) if response.status_code == 429 else None
        if wait is not None:
            pause.until = time.monotonic() + min(wait, self.retry_policy.max_delay)
        return ModelHTTPError(response.status_code, _error_body(response), wait)
