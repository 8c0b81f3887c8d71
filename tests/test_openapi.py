"""The OpenAPI document generates a usable client: it is valid, and what the real app sends
(JSON answers and every SSE event) matches it, required fields and enums included. Also the
reference page at /docs and the demo page at /demo. The TypeScript client generated from the
document is compiled in tests/test_clients_js.py."""

from __future__ import annotations

import json
import re
import threading

import pytest
from openapi_spec_validator import validate

from tests.conftest import BOTH_STORES
from tests.helpers import assert_error, json_schema, read_until, routed, send, stream_events
from tests.scripted_model import ScriptedModel, Wait, call, install, route, say


@pytest.fixture
def document(client) -> dict:
    return client.get("/openapi.json").json


def test_the_document_is_valid_openapi(document):
    validate(document)


def test_every_stream_event_matches_its_schema(app, client, users, stores, document):
    a, _ = stores
    invoice = next(
        r for r in a.list_records("invoices", limit=100) if r["invoice_number"] == "INV-1005"
    )
    install(
        app, route("invoices"), call("delete_invoice", id=invoice["id"]), say("Confirm, please.")
    )
    evts = stream_events(send(client, users.a, "delete it"))
    install(app, route("tasks"), [RuntimeError("boom")])
    evts += stream_events(send(client, users.a, "again"))
    kinds = {e["type"] for e in evts}
    assert kinds >= {"start", "agent", "token", "tool_call", "tool_result"}
    assert kinds >= {"confirmation_required", "complete", "error"}
    validator = json_schema(document, "StreamEvent")
    for event in evts:
        event.pop("_id")
        validator.validate(event)
    # Required means required: an event without one of its fields does not match.
    pending = next(e for e in evts if e["type"] == "confirmation_required")
    action = client.get(f"/api/actions/{pending['action_id']}", headers=users.a).json
    json_schema(document, "Action").validate(action)
    broken = next(e for e in evts if e["type"] == "complete")
    del broken["usage"]
    assert not validator.is_valid(broken)


@BOTH_STORES
def test_json_answers_match_their_schemas(app, client, users, document):
    install(app, *routed(say("Fine.")))
    started = stream_events(send(client, users.a, "hello"))[0]
    conversation_id = started["conversation_id"]
    answers = {
        "ConversationPage": client.get("/api/conversations", headers=users.a).json,
        "ConversationDetail": client.get(
            f"/api/conversations/{conversation_id}", headers=users.a
        ).json,
        "Conversation": client.post("/api/conversations", json={}, headers=users.a).json,
        "Error": client.get(f"/api/conversations/{conversation_id}", headers=users.b).json,
    }
    detail = answers["ConversationDetail"]
    assert [m["status"] for m in detail["messages"]] == ["complete", "complete"]
    for name, answer in answers.items():
        json_schema(document, name).validate(answer)


class TitlingModel(ScriptedModel):
    """The scripted model, which also answers the conversation's title call at once."""

    def stream(self, request):
        if request.purpose == "title":
            return iter(say("Overdue invoices"))
        return super().stream(request)


def test_the_title_event_and_its_ai_sdk_part_match_their_schemas(make_app, users, document):
    app = make_app(MODEL_TITLES=True)
    go_on = threading.Event()
    app.extensions["model"] = TitlingModel(*routed([Wait(go_on), *say("Two.")]))
    response = app.test_client().post(
        "/api/chat/ui",
        json={
            "id": "chat-1",
            "messages": [{"id": "m1", "role": "user", "parts": [{"type": "text", "text": "hi"}]}],
        },
        headers=users.a,
        buffered=False,
    )
    reader = iter(response.response)
    seen = read_until(reader, '"data-title"')
    go_on.set()
    seen += "".join(chunk.decode() for chunk in reader)
    chunks = [json.loads(line[6:]) for line in seen.split("\n") if line.startswith("data: {")]
    [title] = [chunk for chunk in chunks if chunk["type"] == "data-title"]
    json_schema(document, "UIMessageChunk").validate(title)
    generation = chunks[0]["messageMetadata"]["generation_id"]
    replay = app.test_client().get(f"/api/chat/generations/{generation}/events", headers=users.a)
    [event] = [e for e in stream_events(replay) if e["type"] == "title"]
    event.pop("_id")
    json_schema(document, "StreamEvent").validate(event)
    assert not json_schema(document, "StreamEvent").is_valid({**event, "title": None})


def test_enums_headers_and_optional_request_fields(document):
    schemas = document["components"]["schemas"]
    assert schemas["Message"]["properties"]["role"]["enum"] == ["user", "assistant"]
    assert "interrupted" in schemas["Message"]["properties"]["status"]["enum"]
    assert "pending" in schemas["Action"]["properties"]["status"]["enum"]
    assert "WORKER_LOST" in schemas["ErrorBody"]["properties"]["code"]["enum"]
    assert set(schemas["Message"]["required"]) == set(schemas["Message"]["properties"])
    assert "resume_url" not in schemas["StartEvent"]["required"]
    assert schemas["StreamEvent"]["discriminator"]["propertyName"] == "type"
    assert schemas["ChatStream"]["required"] == ["message"]
    for name in ("ChatStream", "ConversationCreate"):
        assert all("default" not in p for p in schemas[name]["properties"].values())
    for path in ("/api/chat/stream", "/api/chat/generations/{generation_id}/events"):
        operation = next(iter(document["paths"][path].values()))
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["Last-Event-ID"]


def test_the_reference_page_is_served_from_the_package(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    scripts = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert scripts and all(s.startswith("/") for s in scripts)  # nothing from another host
    for url in scripts:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"https://cdn" not in asset.get_data()
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.get_data()
    assert_error(client.get("/docs/assets/..%2Fsecrets"), 404, "NOT_FOUND")
    assert_error(client.get("/docs/assets/index.html"), 404, "NOT_FOUND")


def test_the_demo_page_and_its_token(client):
    page = client.get("/demo")
    assert page.status_code == 200 and b'id="transcript"' in page.get_data()
    minted = client.post("/demo/token").json
    headers = {"Authorization": f"Bearer {minted['token']}"}
    assert client.get("/api/conversations", headers=headers).status_code == 200
    assert client.get("/pages/demo.js").status_code == 200


def test_no_demo_without_dev_tokens(make_app):
    client = make_app(DEV_JWT_SECRET=None).test_client()
    assert_error(client.get("/demo"), 404, "NOT_FOUND")
    assert_error(client.post("/demo/token"), 404, "NOT_FOUND")
    assert_error(client.get("/pages/demo.js"), 404, "NOT_FOUND")
    assert_error(client.get("/pages/demo.html"), 404, "NOT_FOUND")
    assert client.get("/docs").status_code == 200
    assert client.get("/pages/docs.js").status_code == 200
