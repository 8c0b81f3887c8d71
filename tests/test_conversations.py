"""Conversations API on the real app and a real store: two users, paging, bad input.

Every test runs twice: on a SQLite file and on Supabase (PostgreSQL + PostgREST, pgstack).
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import BOTH_STORES, USER_A, USER_B, user_store
from tests.helpers import assert_error

pytestmark = BOTH_STORES

#: Bodies that are not strict JSON: 400, never a 500 from deeper down.
STRICT_JSON_REFUSED = [
    '{"a":' * 5000,  # malformed and deeply nested
    "[" * 100_000 + "]" * 100_000,  # well-formed and deeply nested
    '{"title": "x", "metadata": {"n": NaN}}',
    '{"title": "x", "metadata": {"n": Infinity}}',
    '{"title": "x", "metadata": {"n": 1e400}}',
]


#: Text no store can keep, anywhere in a body or a query: 422 naming the field, on both stores.
UNSAFE_TEXT = [
    ("post", "/api/conversations", '{"title": "a\\u0000b"}', "title"),
    ("post", "/api/conversations", '{"title": "\\ud800"}', "title"),
    ("post", "/api/conversations", '{"metadata": {"k\\u0000": 1}}', "metadata.k\\x00"),
    ("post", "/api/conversations", '{"metadata": {"k": "v\\u0000"}}', "metadata.k"),
    ("post", "/api/conversations", '{"metadata": {"k": ["ok", "\\udfff"]}}', "metadata.k.1"),
    ("post", "/api/conversations", '{"metadata": {"\\ud800": 1}}', "metadata.\\ud800"),
    ("patch", "/api/conversations/{id}", '{"title": "a\\u0000"}', "title"),
    ("post", "/api/chat/stream", '{"message": "hi\\u0000"}', "message"),
    ("post", "/api/chat/stream", '{"message": "hi \\ud800"}', "message"),
    ("get", "/api/conversations?q=a%00b", None, "q"),
]


@pytest.mark.parametrize("method, path, data, field", UNSAFE_TEXT)
def test_nul_and_lone_surrogates_are_refused_naming_the_field(
    client, users, method, path, data, field
):
    path = path.format(id=create(client, users.a)["id"])
    extra = {"data": data, "content_type": "application/json"} if data else {}
    error = assert_error(
        getattr(client, method)(path, headers=users.a, **extra), 422, "VALIDATION_ERROR"
    )
    assert list(error["details"]["fields"]) == [field]
    assert len(client.get("/api/conversations", headers=users.a).json["conversations"]) == 1


def create(client, headers, title="Kitchen repaint"):
    response = client.post("/api/conversations", json={"title": title}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_create_returns_conversation_object(client, users):
    conversation = create(client, users.a, "  Henderson job  ")
    assert conversation["title"] == "Henderson job"
    assert set(conversation) == {
        "id",
        "title",
        "created_at",
        "updated_at",
        "last_message_at",
        "message_count",
        "metadata",
        "title_source",
        "active_leaf_id",
    }
    assert conversation["title_source"] == "user"  # given: no model title replaces it
    assert conversation["active_leaf_id"] is None  # no message yet
    uuid.UUID(conversation["id"])
    assert conversation["message_count"] == 0
    assert conversation["created_at"].endswith("+00:00")


def test_create_without_body_uses_default_title(client, users):
    response = client.post("/api/conversations", headers=users.a)
    assert response.status_code == 201
    assert response.json["title"] == "New conversation"
    assert response.json["title_source"] == "auto"  # the model may title it


def test_list_is_newest_first_and_paged(client, users):
    ids = [create(client, users.a, f"Job {n}")["id"] for n in range(5)]
    page = client.get("/api/conversations?limit=2&offset=0", headers=users.a).json
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 0
    assert page["has_more"] is True
    assert [c["id"] for c in page["conversations"]] == ids[::-1][:2]
    last = client.get("/api/conversations?limit=2&offset=4", headers=users.a).json
    assert [c["id"] for c in last["conversations"]] == [ids[0]]
    assert last["has_more"] is False


def test_list_searches_titles_literally(client, users):
    create(client, users.a, "Henderson exterior")
    create(client, users.a, "Smith office")
    create(client, users.a, "100% done")
    found = client.get("/api/conversations?q=hender", headers=users.a).json
    assert [c["title"] for c in found["conversations"]] == ["Henderson exterior"]
    assert found["total"] == 1
    percent = client.get("/api/conversations?q=%25", headers=users.a).json
    assert [c["title"] for c in percent["conversations"]] == ["100% done"]


def test_get_includes_messages_page(app, client, users):

    conversation = create(client, users.a)
    store = user_store(app, users, USER_A)
    for n in range(3):
        store.add_message(conversation["id"], "user" if n % 2 == 0 else "assistant", f"m{n}")
    body = client.get(
        f"/api/conversations/{conversation['id']}?message_limit=2", headers=users.a
    ).json
    assert [m["content"] for m in body["messages"]] == ["m0", "m1"]
    assert body["message_total"] == 3 and body["has_more_messages"] is True
    assert body["message_count"] == 3 and body["last_message_at"] is not None
    rest = client.get(
        f"/api/conversations/{conversation['id']}?message_offset=2", headers=users.a
    ).json
    assert [m["content"] for m in rest["messages"]] == ["m2"]
    assert set(rest["messages"][0]) == {
        "id",
        "conversation_id",
        "role",
        "content",
        "agent_type",
        "status",
        "metadata",
        "created_at",
        "feedback",
        "parent_id",
        "sibling_ids",
    }
    assert rest["messages"][0]["feedback"] is None
    assert rest["messages"][0]["parent_id"] == body["messages"][1]["id"]
    assert rest["messages"][0]["sibling_ids"] == [rest["messages"][0]["id"]]
    assert rest["active_leaf_id"] == rest["messages"][0]["id"]


def test_rename_and_delete(app, client, users):
    conversation = create(client, users.a)
    renamed = client.patch(
        f"/api/conversations/{conversation['id']}", json={"title": "Renamed"}, headers=users.a
    )
    assert renamed.status_code == 200 and renamed.json["title"] == "Renamed"
    assert renamed.json["title_source"] == "user"
    deleted = client.delete(f"/api/conversations/{conversation['id']}", headers=users.a)
    assert deleted.status_code == 200
    assert deleted.json == {"status": "deleted", "conversation_id": conversation["id"]}
    assert_error(
        client.get(f"/api/conversations/{conversation['id']}", headers=users.a),
        404,
        "CONVERSATION_NOT_FOUND",
    )


def test_delete_cascades_messages(app, client, users):

    conversation = create(client, users.a)
    store = user_store(app, users, USER_A)
    store.add_message(conversation["id"], "user", "hello")
    assert store.list_messages(conversation["id"], 10, 0)[1] == 1
    client.delete(f"/api/conversations/{conversation['id']}", headers=users.a)
    assert store.list_messages(conversation["id"], 10, 0) == ([], 0)


class TestAnotherUsersConversation:
    """User B never sees, reads, renames or deletes user A's conversation: always 404."""

    @pytest.fixture
    def owned(self, client, users):
        return create(client, users.a, "A's private job")

    def test_not_listed(self, client, users, owned):
        page = client.get("/api/conversations", headers=users.b).json
        assert page["conversations"] == [] and page["total"] == 0

    @pytest.mark.parametrize(
        "method, body", [("get", None), ("patch", {"title": "Mine now"}), ("delete", None)]
    )
    def test_404(self, client, users, owned, method, body):
        response = getattr(client, method)(
            f"/api/conversations/{owned['id']}", json=body, headers=users.b
        )
        assert_error(response, 404, "CONVERSATION_NOT_FOUND")
        still = client.get(f"/api/conversations/{owned['id']}", headers=users.a).json
        assert still["title"] == "A's private job"


LONG = "x" * 201


@pytest.mark.parametrize(
    "method, path, kwargs, status, code",
    [
        (
            "post",
            "/api/conversations",
            {"data": "{not json", "content_type": "application/json"},
            400,
            "BAD_REQUEST",
        ),
        ("post", "/api/conversations", {"json": ["a", "list"]}, 422, "VALIDATION_ERROR"),
        ("post", "/api/conversations", {"json": {"title": 5}}, 422, "VALIDATION_ERROR"),
        ("post", "/api/conversations", {"json": {"title": LONG}}, 422, "VALIDATION_ERROR"),
        ("post", "/api/conversations", {"json": {"title": "   "}}, 422, "VALIDATION_ERROR"),
        (
            "post",
            "/api/conversations",
            {"json": {"title": "ok", "owner": "me"}},
            422,
            "VALIDATION_ERROR",
        ),
        ("patch", "/api/conversations/{id}", {"json": {}}, 422, "VALIDATION_ERROR"),
        ("patch", "/api/conversations/{id}", {"json": {"title": None}}, 422, "VALIDATION_ERROR"),
        ("patch", "/api/conversations/{id}", {"json": {"title": LONG}}, 422, "VALIDATION_ERROR"),
        (
            "patch",
            "/api/conversations/{id}",
            {"json": {"title": "a", "x": 1}},
            422,
            "VALIDATION_ERROR",
        ),
        (
            "patch",
            "/api/conversations/{id}",
            {"data": "{", "content_type": "application/json"},
            400,
            "BAD_REQUEST",
        ),
        *[
            (
                "post",
                "/api/conversations",
                {"data": raw, "content_type": "application/json"},
                400,
                "BAD_REQUEST",
            )
            for raw in STRICT_JSON_REFUSED
        ],
        (
            "patch",
            "/api/conversations/{id}",
            {"data": '{"title": "\\udc00x"}', "content_type": "application/json"},
            422,
            "VALIDATION_ERROR",
        ),
        ("get", "/api/conversations?offset=9223372036854775808", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations/{id}?message_offset=10000000000", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations?limit=0", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations?limit=101", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations?limit=ten", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations?offset=-1", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations?q=" + LONG, {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations/{id}?message_limit=501", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations/{id}?message_offset=-3", {}, 422, "VALIDATION_ERROR"),
        ("get", "/api/conversations/not-a-uuid", {}, 404, "NOT_FOUND"),
        ("patch", "/api/conversations/123", {"json": {"title": "x"}}, 404, "NOT_FOUND"),
        ("delete", "/api/conversations/../etc", {}, 404, "NOT_FOUND"),
        ("get", f"/api/conversations/{uuid.uuid4()}", {}, 404, "CONVERSATION_NOT_FOUND"),
        ("put", "/api/conversations/{id}", {"json": {"title": "x"}}, 405, "METHOD_NOT_ALLOWED"),
        ("delete", "/api/conversations", {}, 405, "METHOD_NOT_ALLOWED"),
    ],
)
def test_bad_input(client, users, method, path, kwargs, status, code):
    conversation = create(client, users.a)
    response = getattr(client, method)(
        path.replace("{id}", conversation["id"]), headers=users.a, **kwargs
    )
    error = assert_error(response, status, code)
    if code == "VALIDATION_ERROR":
        assert error["details"]["fields"]


def test_validation_details_name_the_field(client, users):
    response = client.post("/api/conversations", json={"title": LONG, "extra": 1}, headers=users.a)
    fields = assert_error(response, 422, "VALIDATION_ERROR")["details"]["fields"]
    assert set(fields) == {"title", "extra"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/conversations"),
        ("post", "/api/conversations"),
        ("get", "/api/conversations/{id}"),
        ("patch", "/api/conversations/{id}"),
        ("delete", "/api/conversations/{id}"),
    ],
)
def test_every_route_requires_a_token(client, users, method, path):
    conversation = create(client, users.a)
    response = getattr(client, method)(
        path.replace("{id}", conversation["id"]), json={"title": "x"}
    )
    assert_error(response, 401, "AUTH_REQUIRED")


def test_lists_do_not_mix_users(client, users):
    create(client, users.a, "A1")
    create(client, users.b, "B1")
    titles_a = [
        c["title"] for c in client.get("/api/conversations", headers=users.a).json["conversations"]
    ]
    titles_b = [
        c["title"] for c in client.get("/api/conversations", headers=users.b).json["conversations"]
    ]
    assert titles_a == ["A1"] and titles_b == ["B1"]
    assert USER_A != USER_B


def test_a_user_id_in_a_body_must_be_the_callers_own(client, users):
    own = client.post(
        "/api/conversations", json={"title": "Mine", "user_id": USER_A}, headers=users.a
    )
    assert own.status_code == 201 and "user_id" not in own.json
    path = f"/api/conversations/{own.json['id']}"
    for method, json in (
        ("post", {"title": "Theirs", "user_id": USER_B}),
        ("patch", {"title": "Renamed", "user_id": USER_B}),
    ):
        url = "/api/conversations" if method == "post" else path
        assert_error(getattr(client, method)(url, json=json, headers=users.a), 403, "FORBIDDEN")
    renamed = client.patch(path, json={"title": "Renamed", "user_id": USER_A}, headers=users.a)
    assert renamed.json["title"] == "Renamed"
    assert [
        c["title"] for c in client.get("/api/conversations", headers=users.b).json["conversations"]
    ] == []
