"""A fake OpenAI-compatible server that speaks the chat-completions streaming wire format.

This is a fake at the network edge: an HTTP server on 127.0.0.1 that the provider reaches with
``OPENAI_BASE_URL=emulator.url`` (``…/v1``), over a real socket, through httpx.

Wire format of a success (``POST /v1/chat/completions`` with ``"stream": true``): status 200,
``Content-Type: text/event-stream``, chunked transfer encoding, one server-sent event per
chunk, written the moment it is produced: ``data: {chunk JSON}\\n\\n``, and at the end
``data: [DONE]\\n\\n``. A chunk is ``{"id", "object": "chat.completion.chunk", "created",
"model", "system_fingerprint", "choices": [{"index": 0, "delta": {...}, "logprobs": null,
"finish_reason": null|"stop"|"length"|"tool_calls"}]}``. The first delta carries the role;
tool calls stream as ``delta.tool_calls[{index, id, type, function: {name, arguments}}]``
first, then ``{index, function: {arguments: <fragment>}}``. When the request asked for
``stream_options.include_usage``, every chunk carries ``"usage": null`` and a last chunk with
``"choices": []`` carries the usage — as the real service does, and not otherwise. Errors
before the stream are JSON ``{"error": {"message", "type", "param", "code"}}`` with their HTTP
status (and ``Retry-After`` on a 429); an error after the stream started is a
``data: {"error": {...}}`` event, after which the server ends the response.

Usage (the responses it plays are scripts, built with tests/openai_scripts.py)::

    emu = OpenAIEmulator().start()
    emu.enqueue(text_reply("Hel", "lo"), http_error(429, "Slow down", retry_after="1"))
    ...  # each request consumes one scripted response; when none are left, emu.default
    ...  # (text_reply("OK") unless reassigned) is played; emu.requests records each request,
    ...  # emu.connections counts the connections open now
    emu.stop()
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.openai_scripts import Action, HttpError, Script, UsageChunk, error_object, text_reply

# --- server ------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive + chunked, like the real endpoints

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def handle(self):
        """Serve one connection, counted in `connections` while it is open."""
        emulator: OpenAIEmulator = self.server.emulator
        emulator._connected(+1)
        try:
            super().handle()
        finally:
            emulator._connected(-1)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):  # the client hung up mid-stream
            self.close_connection = True

    def do_POST(self):
        emulator: OpenAIEmulator = self.server.emulator
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if not self.path.split("?")[0].endswith("/chat/completions"):
            return self._send_error(HttpError(404, error_object("Not found", "not_found")))
        response = emulator._record({"path": self.path, "body": body, "headers": self.headers})
        if isinstance(response, HttpError):
            return self._send_error(response)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if self._play(response.steps, body.get("model"), include_usage):
            self.wfile.write(b"0\r\n\r\n")

    def _play(self, steps: list, model: str | None, include_usage: bool) -> bool:
        """Write the steps; False when the connection was dropped on purpose."""
        chunk_id = f"chatcmpl-{id(steps):x}"
        for step in steps:
            if isinstance(step, Action) and step.kind == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return False
            if isinstance(step, Action) and step.kind == "pause":
                time.sleep(step.args[0])
                continue
            if isinstance(step, UsageChunk) and not include_usage:
                continue
            self._write_chunk(_encode(step, chunk_id, model, include_usage))
            if isinstance(step, Action) and step.kind == "error":
                break
        return True

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))  # wfile is unbuffered

    def _send_error(self, error: HttpError) -> None:
        data = json.dumps(error.body).encode()
        self.send_response(error.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in error.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _encode(step, chunk_id: str, model: str | None, include_usage: bool) -> bytes:
    """One step as the bytes of its server-sent event."""
    if isinstance(step, Action):
        if step.kind == "raw":
            return step.args[0]
        if step.kind == "done":
            return b"data: [DONE]\n\n"
        return b"data: " + json.dumps(step.args[0]).encode() + b"\n\n"  # an error object
    chunk = {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_emulated",
    }
    if isinstance(step, UsageChunk):
        prompt, completion = step.prompt_tokens, step.completion_tokens
        chunk["choices"] = []
        chunk["usage"] = dict(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )
    else:
        choice = {"index": 0, "delta": step.delta, "logprobs": None}
        chunk["choices"] = [{**choice, "finish_reason": step.finish_reason}]
        if include_usage:
            chunk["usage"] = None
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


class OpenAIEmulator:
    """Threaded fake chat-completions server. Use ``start()`` and ``stop()``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.connections = 0  # TCP connections open now (a client's pool keeps them alive)
        self.default: Script | HttpError = text_reply("OK")  # played when the queue is empty
        self._queue: deque = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> OpenAIEmulator:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        serve = self._server.serve_forever  # a short poll interval makes stop() fast
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def enqueue(self, *responses: Script | HttpError) -> None:
        with self._lock:
            self._queue.extend(responses)

    def _connected(self, change: int) -> None:
        with self._lock:
            self.connections += change

    def _record(self, request: dict) -> Script | HttpError:
        with self._lock:
            self.requests.append({**request, "at": time.monotonic()})
            return self._queue.popleft() if self._queue else self.default
