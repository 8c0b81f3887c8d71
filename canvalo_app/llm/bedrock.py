"""Amazon Bedrock through boto3 ``converse_stream``: the production model provider.

One boto3 client per provider (so per app and worker), with botocore's own retries turned
off: `retry_transient` owns retries and retries only before the first event was yielded.
`classify` maps boto3/botocore/urllib3 failures to rows of the one translation table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

import boto3
import urllib3.exceptions
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    EventStreamError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from ..errors import AppError
from ..resilience import RetryPolicy, retry_transient
from .base import ModelEvent, ModelProvider, ModelRequest, Stop, TextDelta, ToolSpec, Usage
from .tool_calls import ToolCallParts

log = logging.getLogger(__name__)

#: Concurrent streams one worker may hold open to Bedrock (one gevent worker serves them all).
MAX_POOL_CONNECTIONS = 200
CONNECT_TIMEOUT = 5.0
STOP_REASONS = frozenset({"end_turn", "tool_use", "max_tokens"})

#: Bedrock error codes, in the UpperCamel form of HTTP errors; mid-stream `EventStreamError`
#: codes are the same names in lowerCamel (`throttlingException`) and are normalised first.
ERROR_CODES = {
    "ThrottlingException": "MODEL_THROTTLED",
    "ServiceUnavailableException": "MODEL_UNAVAILABLE",
    "ModelNotReadyException": "MODEL_UNAVAILABLE",
    "InternalServerException": "MODEL_UNAVAILABLE",
    "ModelStreamErrorException": "MODEL_ERROR",
    "ModelErrorException": "MODEL_ERROR",
    "ValidationException": "MODEL_REQUEST_INVALID",
    "AccessDeniedException": "MODEL_ACCESS_DENIED",
    "ResourceNotFoundException": "MODEL_NOT_FOUND",
    "ModelTimeoutException": "MODEL_TIMEOUT",
}
# botocore wraps transport errors while sending the request; while the event stream is read it
# does not, so urllib3's own exceptions surface from the iteration.
_TIMEOUTS = (ReadTimeoutError, ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError)
_CONNECTION_LOST = (
    urllib3.exceptions.ProtocolError,
    EndpointConnectionError,
    ConnectionClosedError,
    ResponseStreamingError,
)


def classify(exc: Exception) -> Exception:
    """The AppError a Bedrock failure means; anything unrecognised is a defect, unchanged."""
    if isinstance(exc, ClientError):
        return _classify_client_error(exc)
    if isinstance(exc, _TIMEOUTS):
        return AppError("MODEL_TIMEOUT")
    if isinstance(exc, _CONNECTION_LOST):
        return AppError("MODEL_CONNECTION_LOST")
    return exc


def _classify_client_error(exc: ClientError) -> Exception:
    error = exc.response.get("Error", {})
    code = error.get("Code") or ""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    # The provider's message is for operators only: it never goes into an AppError.
    log.warning("bedrock error %s (HTTP %s): %s", code or "-", status, error.get("Message"))
    app_code = ERROR_CODES.get(code[:1].upper() + code[1:])
    if app_code:
        return AppError(app_code)
    if isinstance(exc, EventStreamError):
        # An exception frame of a type missing from botocore's service model has no code.
        return AppError("MODEL_ERROR")
    if status and status >= 500:
        return AppError("MODEL_UNAVAILABLE")
    return exc


def tool_config(tools: list[ToolSpec]) -> dict:
    """The Converse `toolConfig` for `tools`, sent again on every call that has tools."""
    specs = [
        {
            "toolSpec": {
                "name": t.name,
                "description": t.description,
                "inputSchema": {"json": t.input_schema},
            }
        }
        for t in tools
    ]
    return {"tools": specs}


def converse_events(stream: Iterable[dict]) -> Iterator[ModelEvent]:
    """Translate ConverseStream events: text at once, tool uses when complete, stop, usage."""
    tool_uses: dict[int, ToolCallParts] = {}
    stopped = False
    for event in stream:
        kind, body = next(iter(event.items()))
        index = body.get("contentBlockIndex")
        if kind == "contentBlockStart" and "toolUse" in body["start"]:
            start = body["start"]["toolUse"]
            tool_uses[index] = ToolCallParts(start["toolUseId"], start["name"])
        elif kind == "contentBlockDelta":
            yield from _delta(body["delta"], tool_uses.get(index))
        elif kind == "contentBlockStop" and index in tool_uses:
            yield tool_uses.pop(index).complete()
        elif kind == "messageStop":
            stopped = True
            reason = body["stopReason"]
            yield Stop(reason if reason in STOP_REASONS else "end_turn")
        elif kind == "metadata" and "usage" in body:
            yield Usage(body["usage"]["inputTokens"], body["usage"]["outputTokens"])
    if not stopped:
        raise AppError("MODEL_STREAM_INCOMPLETE")


def _delta(delta: dict, tool_use: ToolCallParts | None) -> Iterator[TextDelta]:
    if delta.get("text"):
        yield TextDelta(delta["text"])
    elif "toolUse" in delta:
        if tool_use is None:
            raise AppError("MODEL_ERROR", "The model sent tool input outside a tool-use block.")
        tool_use.pieces.append(delta["toolUse"].get("input", ""))


class BedrockProvider(ModelProvider):
    name = "bedrock"

    def __init__(self, config: dict):
        self.model_id = config["BEDROCK_MODEL_ID"]
        self.region = config["AWS_REGION"]
        self.endpoint_url = config["BEDROCK_ENDPOINT_URL"]
        self.retry_policy = RetryPolicy.from_config(config)
        session = boto3.Session(profile_name=config["AWS_PROFILE"] or None, region_name=self.region)
        self.client = session.client(
            "bedrock-runtime",
            endpoint_url=self.endpoint_url or None,
            config=Config(
                max_pool_connections=MAX_POOL_CONNECTIONS,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=config["BEDROCK_READ_TIMEOUT"],
                # One request per call: retries belong to `retry_transient` alone.
                retries={"total_max_attempts": 1, "mode": "standard"},
            ),
        )

    def describe(self) -> dict:
        described = {"provider": self.name, "model_id": self.model_id, "region": self.region}
        if self.endpoint_url:
            described["endpoint"] = self.endpoint_url
        return described

    @retry_transient(classify)
    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        response = self.client.converse_stream(**self._arguments(request))
        events = response["stream"]
        try:
            yield from converse_events(events)
        finally:
            events.close()  # give the connection back even when the consumer stops early

    def _arguments(self, request: ModelRequest) -> dict:
        arguments = {
            "modelId": self.model_id,
            "messages": request.messages,
            "inferenceConfig": {"maxTokens": request.max_tokens},
        }
        if request.system:  # Bedrock rejects an empty system text block
            arguments["system"] = [{"text": request.system}]
        if request.tools:
            arguments["toolConfig"] = tool_config(request.tools)
            if request.tool_choice == "any":
                arguments["toolConfig"]["toolChoice"] = {"any": {}}
        return arguments
