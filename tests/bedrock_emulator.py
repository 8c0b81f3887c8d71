"""A fake Amazon Bedrock Runtime that speaks the real ``ConverseStream`` wire format.

This is a fake at the network edge: an HTTP server on 127.0.0.1 that an unmodified boto3
``bedrock-runtime`` client can be pointed at with ``endpoint_url=emulator.url``. Nothing in
boto3/botocore is patched, so the provider under test goes through the real request signing,
HTTP stack (urllib3), event-stream decoding and response parsing.

Wire format of a success (``POST /model/{modelId}/converse-stream``): status 200,
``Content-Type: application/vnd.amazon.eventstream``, chunked transfer encoding with one event
frame per HTTP chunk, written the moment it is produced. A frame is::

    total_len u32 | headers_len u32 | crc32(prelude) u32 | headers | JSON payload | crc32 u32

with string headers ``:message-type``/``:event-type``/``:content-type`` (events) or
``:message-type``/``:exception-type``/``:content-type`` (modeled exceptions). Like the real
service, every event payload carries a ``"p"`` padding field, which botocore ignores. Errors
before the stream are plain JSON responses with an ``x-amzn-ErrorType`` header.

Usage::

    emu = BedrockEmulator().start()
    emu.enqueue(text_reply("Hel", "lo"), http_error(429, "ThrottlingException", "slow down"))
    ...  # each request consumes one scripted response; when none are left, emu.default
    ...  # (text_reply("OK") unless reassigned) is played
    emu.requests[0]["body"]["messages"]
    emu.stop()
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

_JSON = "application/json"
_PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


# --- event-stream encoding ---------------------------------------------------------------------


def encode_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """Encode one ``application/vnd.amazon.eventstream`` message (string headers only)."""
    raw = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        raw += struct.pack(">B", len(n)) + n + struct.pack(">BH", 7, len(v)) + v
    prelude = struct.pack(">II", 12 + len(raw) + len(payload) + 4, len(raw))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + raw + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event_frame(event_type: str, payload: dict, padding: bool = True) -> bytes:
    if padding:  # the real service pads every event with a variable-length "p" field
        payload = {**payload, "p": _PAD[: 1 + len(json.dumps(payload)) % len(_PAD)]}
    headers = {":event-type": event_type, ":content-type": _JSON, ":message-type": "event"}
    return encode_frame(headers, json.dumps(payload, separators=(",", ":")).encode())


def exception_frame(exception_type: str, message: str) -> bytes:
    headers = {
        ":exception-type": exception_type,
        ":content-type": _JSON,
        ":message-type": "exception",
    }
    return encode_frame(headers, json.dumps({"message": message}).encode())


# --- scripts -----------------------------------------------------------------------------------
# A step is a raw event tuple (event_type, payload) or an Action (pause / exception / drop).


@dataclass(frozen=True)
class Action:
    kind: str  # "pause" | "exception" | "drop"
    args: tuple = ()


@dataclass
class Script:
    """A 200 event-stream response: steps played in order, then the stream ends cleanly."""

    steps: list = field(default_factory=list)


@dataclass
class HttpError:
    """A plain JSON error response sent instead of a stream."""

    status: int
    error_type: str
    message: str


def pause(seconds: float) -> Action:
    return Action("pause", (seconds,))


def exception(exception_type: str, message: str) -> Action:
    """A modeled exception frame, e.g. ``exception("throttlingException", "Rate exceeded")``.

    The server ends the response (cleanly) right after it, as the real service does.
    """
    return Action("exception", (exception_type, message))


def drop() -> Action:
    """Abruptly close the TCP connection: no further bytes, no terminating chunk."""
    return Action("drop")


def message_start(role: str = "assistant") -> tuple:
    return ("messageStart", {"role": role})


def text_delta(text: str, index: int = 0) -> tuple:
    return ("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": text}})


def tool_use_start(tool_use_id: str, name: str, index: int = 0) -> tuple:
    start = {"toolUse": {"toolUseId": tool_use_id, "name": name}}
    return ("contentBlockStart", {"contentBlockIndex": index, "start": start})


def tool_use_delta(partial_json: str, index: int = 0) -> tuple:
    return (
        "contentBlockDelta",
        {"contentBlockIndex": index, "delta": {"toolUse": {"input": partial_json}}},
    )


def block_stop(index: int = 0) -> tuple:
    return ("contentBlockStop", {"contentBlockIndex": index})


def message_stop(stop_reason: str = "end_turn") -> tuple:
    return ("messageStop", {"stopReason": stop_reason})


def metadata(input_tokens: int = 10, output_tokens: int = 5, latency_ms: int = 120) -> tuple:
    total = input_tokens + output_tokens
    usage = {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": total}
    return ("metadata", {"usage": usage, "metrics": {"latencyMs": latency_ms}})


def text_block(*chunks: str, index: int = 0, delay: float = 0.0) -> list:
    """Deltas of one text block (no contentBlockStart: Bedrock sends none for text) + stop."""
    steps: list = []
    for i, chunk in enumerate(chunks):
        if i and delay:
            steps.append(pause(delay))
        steps.append(text_delta(chunk, index))
    return [*steps, block_stop(index)]


def tool_use_block(
    tool_use_id: str, name: str, input_dict: dict, index: int = 0, pieces: int = 3
) -> list:
    """contentBlockStart + the input JSON split into ``pieces`` partial string deltas + stop."""
    text = json.dumps(input_dict)
    size = max(1, -(-len(text) // pieces))
    parts = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    deltas = [tool_use_delta(part, index) for part in parts]
    return [tool_use_start(tool_use_id, name, index), *deltas, block_stop(index)]


def stream(*steps) -> Script:
    """A free-form script; lists (e.g. from text_block) are flattened."""
    flat: list = []
    for step in steps:
        flat.extend(step if isinstance(step, list) else [step])
    return Script(flat)


def text_reply(
    *chunks: str, delay: float = 0.0, stop_reason: str = "end_turn", usage=(10, 5)
) -> Script:
    text = text_block(*chunks, delay=delay)
    return stream(message_start(), text, message_stop(stop_reason), metadata(*usage))


def tool_use_reply(
    tool_use_id: str, name: str, input_dict: dict, text_before: str | None = None, usage=(10, 5)
) -> Script:
    text = text_block(text_before) if text_before is not None else []
    tool = tool_use_block(tool_use_id, name, input_dict, index=1 if text else 0)
    return stream(message_start(), text, tool, message_stop("tool_use"), metadata(*usage))


def http_error(status: int, error_type: str, message: str) -> HttpError:
    """E.g. ``http_error(429, "ThrottlingException", "Too many requests")``."""
    return HttpError(status, error_type, message)


# --- server ------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive + chunked, like the real endpoint

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):  # the client hung up mid-stream
            self.close_connection = True

    def do_POST(self):
        emulator: BedrockEmulator = self.server.emulator
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.split("?")[0].split("/")
        if len(parts) != 4 or parts[1] != "model" or parts[3] != "converse-stream":
            return self._send_error(HttpError(404, "UnknownOperationException", self.path))
        body = json.loads(raw) if raw else {}
        response = emulator._record(
            {"model_id": unquote(parts[2]), "body": body, "headers": dict(self.headers)}
        )
        if isinstance(response, HttpError):
            return self._send_error(response)
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        for step in response.steps:
            if isinstance(step, tuple):
                self._write_chunk(event_frame(*step, padding=emulator.padding))
            elif step.kind == "pause":
                time.sleep(step.args[0])
            elif step.kind == "exception":
                self._write_chunk(exception_frame(*step.args))
                break
            elif step.kind == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))  # wfile is unbuffered

    def _send_error(self, error: HttpError) -> None:
        data = json.dumps({"message": error.message}).encode()
        self.send_response(error.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-ErrorType", error.error_type + _ERROR_TYPE_SUFFIX)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)


class BedrockEmulator:
    """Threaded fake Bedrock Runtime endpoint. Use ``start()``/``stop()`` or ``with``."""

    def __init__(self, padding: bool = True):
        self.padding = padding
        self.requests: list[dict] = []
        self.default: Script | HttpError = text_reply("OK")  # played when the queue is empty
        self._queue: deque = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> BedrockEmulator:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        serve = self._server.serve_forever  # a short poll interval makes stop() fast
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> BedrockEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def enqueue(self, *responses: Script | HttpError) -> None:
        with self._lock:
            self._queue.extend(responses)

    def _record(self, request: dict) -> Script | HttpError:
        with self._lock:
            self.requests.append(request)
            return self._queue.popleft() if self._queue else self.default
