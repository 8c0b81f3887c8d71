"""Helpers the test modules share: sending a chat and reading its stream, reading the
stored answer, checking the error envelope, seeding a served app's demo business."""

from __future__ import annotations

import copy
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import jsonschema

from bench.server import ROOT
from tests.conftest import USER_A, events, parse_sse
from tests.scripted_model import install, route, say

ENVELOPE_KEYS = {
    "code",
    "message",
    "user_message",
    "retryable",
    "suggested_actions",
    "details",
    "request_id",
}


def routed(*answers: list) -> list[list]:
    """Scripts for turns the supervisor routes to the tasks agent, which then answers."""
    return [script for answer in answers for script in (route("tasks"), answer)]


def send(client, headers, message="How is business?", **body):
    return client.post("/api/chat/stream", json={"message": message, **body}, headers=headers)


def read_until(reader, marker: str) -> str:
    """Read a live stream until `marker` has arrived; return everything read."""
    text = ""
    while marker not in text:
        text += next(reader).decode()
    return text


def started(reader) -> dict:
    """The `start` event of a live stream (reading no further than it)."""
    return events(parse_sse(read_until(reader, "event: start")))[0]


def stream_events(response) -> list[dict]:
    return events(parse_sse(response.get_data(as_text=True)))


def answer_of(evts: list[dict]) -> str:
    return "".join(e["content"] for e in evts if e["type"] == "token")


def conversation(client, headers, conversation_id) -> dict:
    return client.get(f"/api/conversations/{conversation_id}", headers=headers).json


def assistant_row(client, headers, conversation_id) -> dict:
    return conversation(client, headers, conversation_id)["messages"][-1]


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert set(error) == ENVELOPE_KEYS
    assert error["code"] == code
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def seed(env: dict, user: str = USER_A) -> None:
    """Give `user` the demo business, so answers come from real records."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "canvalo_app", "seed-demo", "--user", user],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def talk(app, client, headers, message: str, answer: str, **body) -> dict:
    """Send `message` and have it answered with `answer`, to the end; the `start` event."""
    install(app, *routed(say(answer)))
    evts = stream_events(send(client, headers, message, **body))
    assert evts[-1]["type"] == "complete", evts[-1]
    return evts[0]


@contextmanager
def bare_endpoint(hang_up: bool = False, reply: bytes = b"") -> Iterator[tuple[str, list]]:
    """A bare TCP endpoint (its URL, and the connections it took) that reads a request, then
    writes `reply` (if any) and hangs up, or never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve():
        with suppress(OSError):
            while True:
                connection, _ = listener.accept()
                connection.recv(65536)
                accepted.append(connection)
                connection.sendall(reply)
                if hang_up:
                    connection.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


def json_schema(document: dict, name: str) -> jsonschema.Validator:
    """A validator for one component: OpenAPI 3.0's `nullable` in JSON Schema's words."""
    components = copy.deepcopy(document["components"])

    def convert(node):
        if isinstance(node, dict):
            if node.pop("nullable", False):
                if "type" in node:
                    node["type"] = [node["type"], "null"]
                if "enum" in node:
                    node["enum"] = [*node["enum"], None]
            for value in node.values():
                convert(value)
        elif isinstance(node, list):
            for value in node:
                convert(value)

    convert(components)
    root = {"$ref": f"#/components/schemas/{name}", "components": components}
    return jsonschema.Draft202012Validator(root)
