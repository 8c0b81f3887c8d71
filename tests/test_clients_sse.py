"""The SSE protocol through the real clients front-end teams use, against gunicorn as
deployed: `@microsoft/fetch-event-source` under Node (tests/clients/fetch_event_source.mjs)
and the browser's own `EventSource` in headless Chromium, driven by playwright-core
(tests/clients/eventsource.mjs). pytest starts each client, which prints what it saw as
JSON, and checks that against the store.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from httpx_sse import connect_sse

from tests.conftest import USER_A, USER_B, Users
from tests.live_server import (  # noqa: F401  (live_server_fixture: `live_server`)
    CHROMIUM,
    CHROMIUM_ARGS,
    HEADERS,
    CuttingProxy,
    json_of,
    live_server_fixture,
    read_events,
    require_clients,
    run_client,
)
from tests.live_server import request as http_request

QUESTION = "which invoices are overdue?"
FETCH_EVENT_SOURCE = "@microsoft/fetch-event-source"


@pytest.fixture
def proxy(live_server, request):
    require_clients(FETCH_EVENT_SOURCE)
    cutting = CuttingProxy(live_server.port, **getattr(request, "param", {}))
    yield cutting
    cutting.close()


def conversation_count(port: int) -> int:
    status, body = json_of(port, "GET", "/api/conversations?limit=1")
    assert status == 200, body
    return body["total"]


def stored_answer(port: int, conversation_id: str) -> dict:
    """The assistant message once it is saved `complete` (or as it stands after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        status, body = json_of(port, "GET", f"/api/conversations/{conversation_id}")
        assert status == 200, body
        row = body["messages"][-1]
        if row["status"] == "complete" or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def tokens(found: list[dict]) -> str:
    return "".join(e["data"]["content"] for e in found if e["data"]["type"] == "token")


# -- @microsoft/fetch-event-source under Node -----------------------------------------------


def fetch_event_source(proxy: CuttingProxy, body: dict) -> dict:
    config = {
        "url": f"http://127.0.0.1:{proxy.port}/api/chat/stream",
        "token": Users().token(USER_A),
        "body": body,
        "timeoutMs": 40_000,
    }
    return run_client("fetch_event_source.mjs", config, timeout=60)


def check_one_answer(connections: list[list[dict]], port: int) -> dict:
    """Each connection opened with `start`; the events with ids, joined, run 1, 2, 3… with
    no gap or repeat and end with one `complete`; their tokens are the stored answer."""
    assert connections and all(c[0]["event"] == "start" for c in connections), connections
    start = connections[0][0]["data"]
    assert all(c[0]["data"] == start for c in connections)
    whole = [event for connection in connections for event in connection if event["id"]]
    assert [int(e["id"]) for e in whole] == list(range(1, len(whole) + 1))
    types = [e["data"]["type"] for e in whole]
    assert types.count("complete") == 1 and types[-1] == "complete", types
    row = stored_answer(port, start["conversation_id"])
    assert (row["id"], row["status"]) == (start["message_id"], "complete")
    assert tokens(whole) == row["content"] and "INV-1002" in row["content"]
    return start


def send_through_a_cut(live_server, proxy: CuttingProxy) -> None:
    """One send whose answer the proxy drops mid-stream; the library retries the POST by
    itself with the same body and the last id it saw. The retry gets `start` again (without
    an id) and then only what it missed: nothing is lost or doubled, and the same
    client_message_id starts no second conversation."""
    before = conversation_count(live_server.port)
    body = {"message": QUESTION, "client_message_id": str(uuid.uuid4())}
    result = fetch_event_source(proxy, body)
    assert result["outcome"] == {"settled": "resolved"}, result
    assert proxy.cut.is_set()
    # One error reached onerror: the dropped connection (no JSON.parse error, nothing fatal).
    assert [(e["name"], e["fatal"]) for e in result["errors"]] == [("TypeError", False)]
    first, retry = result["connections"]
    assert retry[0]["id"] == "" and int(retry[1]["id"]) == int(first[-1]["id"]) + 1
    check_one_answer(result["connections"], live_server.port)
    sent = proxy.requests()
    assert [(method, path) for method, path, _ in sent] == [("POST", "/api/chat/stream")] * 2
    assert "last-event-id" not in sent[0][2]
    assert sent[1][2]["last-event-id"] == first[-1]["id"]
    assert conversation_count(live_server.port) == before + 1


def test_fetch_event_source_picks_up_a_cut_answer_where_it_stopped(live_server, proxy):
    """Cut in the `id:` line that ends a token event."""
    send_through_a_cut(live_server, proxy)


@pytest.mark.parametrize("proxy", [{"offset": len(b"event: token\ndata: {")}], indirect=True)
def test_fetch_event_source_recovers_an_event_cut_in_its_data(live_server, proxy):
    """fetch-event-source takes an event's id as its last id as soon as it reads the `id:`
    line, not when the event is complete (as EventSource does). The id comes last in each
    frame, so a cut anywhere before it leaves the last id at the previous event."""
    send_through_a_cut(live_server, proxy)


@pytest.mark.parametrize(
    "body",
    [{"message": "   "}, {"message": QUESTION, "priority": "high"}],
    ids=["blank message", "unknown field"],
)
def test_fetch_event_source_does_not_retry_a_422(live_server, proxy, body):
    before = conversation_count(live_server.port)
    result = fetch_event_source(proxy, {**body, "client_message_id": str(uuid.uuid4())})
    outcome = result["outcome"]
    assert (outcome["settled"], outcome["name"]) == ("rejected", "FatalError"), result
    assert outcome["message"].startswith("422 ") and "VALIDATION_ERROR" in outcome["message"]
    assert [e["fatal"] for e in result["errors"]] == [True]
    assert result["connections"] == []
    assert [(method, path) for method, path, _ in proxy.requests()] == [
        ("POST", "/api/chat/stream")
    ]
    assert conversation_count(live_server.port) == before


# -- The browser's EventSource in headless Chromium -----------------------------------------

EVENT_TYPES = [
    "start",
    "agent",
    "token",
    "tool_call",
    "tool_result",
    "confirmation_required",
    "complete",
    "error",
]


def started_send(port: int) -> dict:
    """Send a message with a plain HTTP client, read its `start` event and hang up."""
    connection, response = http_request(port, "POST", "/api/chat/stream", {"message": QUESTION})
    try:
        assert response.status == 200, response.read()
        (start,) = read_events(response, until=lambda found: True)
    finally:
        connection.close()
    assert start["type"] == "start"
    return start


def altered(resume_url: str) -> str:
    """The same URL with one character of the ticket's signature changed."""
    signed, _, signature = resume_url.rpartition(".")
    return f"{signed}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def event_source(origin: str, *urls: str) -> list[dict]:
    config = {
        "origin": origin,
        "page": "/health",
        "urls": list(urls),
        "types": EVENT_TYPES,
        "executablePath": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "timeoutMs": 30_000,
    }
    return run_client("eventsource.mjs", config, timeout=90)["results"]


def test_eventsource_follows_the_resume_url_in_chromium(live_server):
    require_clients("playwright-core", chromium=True)
    port = live_server.port
    start = started_send(port)
    url = start["resume_url"]
    assert url.startswith(f"/api/chat/generations/{start['generation_id']}/events?ticket=")
    resumed, refused = event_source(live_server.origin, url, altered(url))
    assert (resumed["why"], resumed["errors"], resumed["readyState"]) == ("terminal", [], 1)
    events = resumed["events"]
    assert [e["type"] for e in events if e["type"] not in EVENT_TYPES] == []
    assert [e["type"] for e in events].count("complete") == 1
    assert events[0]["data"] == {k: v for k, v in start.items() if k != "_id"}
    check_one_answer(
        [[{"id": e["id"], "event": e["type"], "data": e["data"]} for e in events]], port
    )
    # An altered ticket is refused: the browser gives the connection up and does not retry.
    assert (refused["why"], refused["events"], refused["readyState"]) == ("closed", [], 2)
    assert refused["errors"] == [{"readyState": 2}]
    status, body = json_of(port, "GET", altered(url), headers={})
    assert (status, body["error"]["code"]) == (401, "TICKET_INVALID")
    # Another user's token opens nothing of that generation.
    events_path = f"/api/chat/generations/{start['generation_id']}/events"
    status, body = json_of(port, "GET", events_path, headers=Users().headers(USER_B))
    assert (status, body["error"]["code"]) == (404, "GENERATION_NOT_FOUND")


# -- httpx-sse ------------------------------------------------------------------------------


def test_httpx_sse_sees_every_event_and_no_heartbeat(live_server):
    """httpx-sse: every server-sent event it yields is one of ours, with its id; the ping
    that opens each stream is not one of them."""
    body = {"message": QUESTION, "client_message_id": str(uuid.uuid4())}
    client = httpx.Client(base_url=live_server.origin, headers=HEADERS, timeout=30)
    with client, connect_sse(client, "POST", "/api/chat/stream", json=body) as source:
        seen = list(source.iter_sse())
    assert [int(e.id) for e in seen] == list(range(1, len(seen) + 1))
    assert all(e.event == json.loads(e.data)["type"] for e in seen)
    assert seen[0].event == "start" and seen[-1].event == "complete"
    start = json.loads(seen[0].data)
    row = stored_answer(live_server.port, start["conversation_id"])
    tokens_ = "".join(json.loads(e.data)["content"] for e in seen if e.event == "token")
    assert tokens_ == row["content"]
