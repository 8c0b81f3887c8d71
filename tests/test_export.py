"""Exports on the real app and a real store: one conversation or all of them, as JSON (every
message) and as Markdown (the conversation as shown), sent as attachments; only the caller's.
Also: every JSON answer of search, export and account deletion matches the OpenAPI document.

Every test runs twice: on a SQLite file and on Supabase (PostgreSQL + PostgREST, pgstack).
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import BOTH_STORES
from tests.helpers import assert_error, json_schema, routed, stream_events, talk
from tests.scripted_model import install, say

pytestmark = BOTH_STORES


def exported(client, headers, path: str, **params):
    response = client.get(path, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


@pytest.fixture
def kitchen(app, client, users) -> str:
    """A conversation of USER_A's: two turns."""
    cid = talk(app, client, users.a, "Repaint the Hartley kitchen", "Booked Tuesday.")
    cid = cid["conversation_id"]
    talk(app, client, users.a, "Which colour?", "Marigold trim.", conversation_id=cid)
    return cid


def test_one_conversation_as_json(client, users, kitchen):
    response = exported(client, users.a, f"/api/conversations/{kitchen}/export")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="canvalo-conversation-{kitchen}.json"'
    )
    document = response.json
    assert document["exported_at"] and set(document) == {"exported_at", "conversations"}
    (conversation,) = document["conversations"]
    assert conversation["id"] == kitchen
    assert conversation["title"] == "Repaint the Hartley kitchen"
    messages = conversation["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "Repaint the Hartley kitchen"),
        ("assistant", "Booked Tuesday."),
        ("user", "Which colour?"),
        ("assistant", "Marigold trim."),
    ]
    assert all(m["conversation_id"] == kitchen and m["status"] == "complete" for m in messages)
    assert "user_id" not in conversation and "user_id" not in messages[0]


def test_one_conversation_as_markdown(client, users, kitchen):
    response = exported(client, users.a, f"/api/conversations/{kitchen}/export", format="markdown")
    assert response.mimetype == "text/markdown" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"].endswith(f'-{kitchen}.md"')
    text = response.get_data(as_text=True)
    assert text.startswith("# Canvalo conversations\n")
    assert "## Repaint the Hartley kitchen\n" in text and "· 4 messages" in text
    turns = [line for line in text.splitlines() if line.startswith("**")]
    assert [turn.split(" · ")[0] for turn in turns] == ["**You**", "**Assistant**"] * 2
    order = [text.index(s) for s in ("Repaint the Hartley", "Booked Tuesday.", "Which colour?")]
    assert order == sorted(order) and text.index("Marigold trim.") > order[-1]


def test_json_holds_every_version_and_markdown_the_active_branch(app, client, users):
    start = talk(app, client, users.a, "Suggest a colour", "Try sage green.")
    cid, first = start["conversation_id"], start["message_id"]
    install(app, *routed(say("Try dusty rose.")))
    path = f"/api/conversations/{cid}/messages/{first}/regenerate"
    regenerated = stream_events(client.post(path, headers=users.a))
    assert regenerated[-1]["type"] == "complete", regenerated[-1]
    (conversation,) = exported(client, users.a, f"/api/conversations/{cid}/export").json[
        "conversations"
    ]
    messages = {m["content"]: m for m in conversation["messages"]}
    assert list(messages) == ["Suggest a colour", "Try sage green.", "Try dusty rose."]
    question = messages["Suggest a colour"]["id"]
    assert messages["Try sage green."]["parent_id"] == question
    assert messages["Try dusty rose."]["parent_id"] == question
    assert conversation["active_leaf_id"] == messages["Try dusty rose."]["id"]
    path = f"/api/conversations/{cid}/export"
    text = exported(client, users.a, path, format="markdown").get_data(as_text=True)
    assert "Try dusty rose." in text and "sage green" not in text and "· 2 messages" in text


def test_all_conversations_only_the_callers_paged(app, client, users, kitchen):
    other = talk(app, client, users.a, "Fence stain", "Cedar.")["conversation_id"]
    talk(app, client, users.b, "Secret of B", "Hidden.")
    whole = exported(client, users.a, "/api/export").json
    assert [c["id"] for c in whole["conversations"]] == [other, kitchen]  # newest first
    assert (whole["total"], whole["limit"], whole["offset"], whole["has_more"]) == (
        2,
        100,
        0,
        False,
    )
    assert [len(c["messages"]) for c in whole["conversations"]] == [2, 4]
    assert "Hidden." not in str(whole)

    first = exported(client, users.a, "/api/export", limit=1)
    assert [c["id"] for c in first.json["conversations"]] == [other] and first.json["has_more"]
    second = exported(client, users.a, "/api/export", limit=1, offset=1)
    assert [c["id"] for c in second.json["conversations"]] == [kitchen]
    assert not second.json["has_more"]
    assert 'filename="canvalo-export-' in second.headers["Content-Disposition"]
    assert second.headers["Content-Disposition"].endswith('-from-2.json"')

    markdown = exported(client, users.a, "/api/export", format="markdown")
    text = markdown.get_data(as_text=True)
    assert "## Fence stain" in text and "## Repaint the Hartley kitchen" in text
    assert "Secret of B" not in text and "Hidden." not in text
    assert markdown.headers["Content-Disposition"].endswith('.md"')


def test_nothing_to_export(client, users):
    document = exported(client, users.b, "/api/export").json
    assert document["conversations"] == [] and document["total"] == 0
    text = exported(client, users.b, "/api/export", format="markdown").get_data(as_text=True)
    assert text.startswith("# Canvalo conversations")


def test_another_users_or_an_unknown_conversation_is_404(client, users, kitchen):
    path = f"/api/conversations/{kitchen}/export"
    assert_error(client.get(path, headers=users.b), 404, "CONVERSATION_NOT_FOUND")
    markdown = client.get(path, query_string={"format": "markdown"}, headers=users.b)
    assert_error(markdown, 404, "CONVERSATION_NOT_FOUND")
    unknown = f"/api/conversations/{uuid.uuid4()}/export"
    assert_error(client.get(unknown, headers=users.a), 404, "CONVERSATION_NOT_FOUND")
    malformed = "/api/conversations/not-a-uuid/export"
    assert_error(client.get(malformed, headers=users.a), 404, "NOT_FOUND")
    assert_error(client.get(path), 401, "AUTH_REQUIRED")


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/export", {"format": "pdf"}),
        ("/api/export", {"format": ""}),
        ("/api/export", {"limit": 0}),
        ("/api/export", {"limit": 101}),
        ("/api/export", {"offset": -1}),
        ("/api/export", {"limit": "all"}),
        ("/api/conversations/{id}/export", {"format": "JSON5"}),
    ],
)
def test_bad_parameters_are_422(client, users, kitchen, path, params):
    response = client.get(path.format(id=kitchen), query_string=params, headers=users.a)
    assert_error(response, 422, "VALIDATION_ERROR")


# The OpenAPI document ------------------------------------------------------------------------


def test_json_answers_match_the_document(client, users, kitchen):
    document = client.get("/openapi.json").json
    deletion = client.post("/api/account/deletion", json={}, headers=users.a).json
    answers = {
        "SearchPage": client.get("/api/search?q=marigold", headers=users.a).json,
        "Export": exported(client, users.a, f"/api/conversations/{kitchen}/export").json,
        "ExportPage": exported(client, users.a, "/api/export").json,
        "DeletionConfirmation": deletion,
        "DataDeleted": client.delete(
            "/api/account/data",
            json={"confirmation_token": deletion["confirmation_token"]},
            headers=users.a,
        ).json,
    }
    assert answers["SearchPage"]["total"] == 1 and answers["DataDeleted"]["deleted"]["messages"]
    for name, answer in answers.items():
        json_schema(document, name).validate(answer)
    operations = [
        document["paths"]["/api/export"]["get"],
        document["paths"]["/api/conversations/{conversation_id}/export"]["get"],
    ]
    assert all("text/markdown" in op["description"] for op in operations)
