"""GET /api/search on the real app and a real store: words of user messages, of answers
(once they end, not while they stream) and of titles; words inside dates, e-mail addresses and
invoice numbers alike on both stores; snippets; paging; another user's identical words
never shown; query syntax characters are words apart, never an error.

Every test runs twice: on a SQLite file (FTS5) and on Supabase (PostgreSQL full-text search
through PostgREST, pgstack).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

import httpx
import pytest

from canvalo_app.engine.sweep import sweep_abandoned
from canvalo_app.store.values import NewMessage
from tests.conftest import BOTH_STORES, USER_B, user_store
from tests.helpers import assert_error, assistant_row, routed, started, talk, wait_for
from tests.scripted_model import Wait, install, say

pytestmark = BOTH_STORES


def search(client, headers, q: str, **params) -> dict:
    response = client.get("/api/search", query_string={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def found(client, headers, q: str) -> list[str]:
    return [hit["conversation_id"] for hit in search(client, headers, q)["results"]]


def test_words_of_user_messages_answers_and_titles(app, client, users):
    kitchen = talk(
        app, client, users.a, "Please repaint the Hartley kitchen", "Booked: marigold trim."
    )
    titled = client.post(
        "/api/conversations", json={"title": "Zeppelin estimates"}, headers=users.a
    )
    mine = search(client, users.a, "repaint")
    assert mine["total"] == 1 and not mine["has_more"]
    (hit,) = mine["results"]
    assert hit["conversation_id"] == kitchen["conversation_id"]
    assert hit["message_id"] == kitchen["user_message_id"] and hit["role"] == "user"
    assert "«repaint»" in hit["snippet"] and hit["title"] == "Please repaint the Hartley kitchen"

    (answer,) = search(client, users.a, "MARIGOLD")["results"]
    assert answer["message_id"] == kitchen["message_id"] and answer["role"] == "assistant"
    assert "«marigold»" in answer["snippet"]

    (title,) = search(client, users.a, "zeppelin")["results"]
    assert title["conversation_id"] == titled.json["id"]
    assert title["message_id"] is None and title["role"] is None
    assert title["snippet"] == "«Zeppelin» estimates"

    renamed = {"title": "Quartz quotes"}
    client.patch(f"/api/conversations/{titled.json['id']}", json=renamed, headers=users.a)
    assert found(client, users.a, "zeppelin") == []
    assert found(client, users.a, "quartz") == [titled.json["id"]]


def test_every_word_must_match_and_the_last_may_be_a_prefix(app, client, users):
    cid = talk(app, client, users.a, "Hartley kitchen walls", "Noted.")["conversation_id"]
    assert found(client, users.a, "hartley kitch") == [cid]
    assert found(client, users.a, "Hart") == [cid]
    assert found(client, users.a, "kitch hartley") == []  # only the last word is a prefix
    assert found(client, users.a, "hartley zebra") == []
    # The newest matching message is the one shown: the user's "kitchen" is the only one here.
    (hit,) = search(client, users.a, "kitchen walls")["results"]
    assert hit["role"] == "user" and "«kitchen» «walls»" in hit["snippet"]


def test_a_long_message_gives_a_short_snippet_around_the_match(app, client, users):
    filler = " ".join(f"word{n}" for n in range(300))
    talk(app, client, users.a, f"{filler} ultramarine {filler}", "Ok.")
    (hit,) = search(client, users.a, "ultramarine")["results"]
    assert "«ultramarine»" in hit["snippet"]
    assert len(hit["snippet"]) < 400


def test_another_users_identical_words_are_never_shown(app, client, users):
    a = talk(app, client, users.a, "Invoice the Gallagher porch", "Done.")["conversation_id"]
    b = talk(app, client, users.b, "Invoice the Gallagher porch", "Done.")["conversation_id"]
    client.post("/api/conversations", json={"title": "Gallagher deck"}, headers=users.b)
    assert found(client, users.a, "gallagher") == [a]
    assert search(client, users.a, "gallagher")["total"] == 1
    assert found(client, users.b, "gallagher")[-1] == b
    assert search(client, users.b, "gallagher")["total"] == 2
    assert found(client, users.a, "deck") == []


#: Text that is syntax to FTS5 or to PostgreSQL's tsquery, PostgREST or SQL: only its words
#: are searched for.
SYNTAX = [
    ('"hartley', 1),
    ('hartley"', 1),
    ("hartley*", 1),
    ("*", 0),
    ("-hartley", 1),
    ("hartley -porch", 1),
    ("content:hartley", 0),
    ("title:hartley", 0),
    ("NEAR(hartley porch)", 0),
    ("hartley OR zebra", 0),
    ("hartley AND", 0),
    ("^hartley", 1),
    ("(hartley", 1),
    ("hartley)", 1),
    ("hartley & !x | y", 0),
    ("hartley:*", 1),
    ("hartley <-> porch", 1),
    ("'; drop table agent_messages; --", 0),
    ("\\", 0),
    ("%_", 0),
    ("..., ;", 0),
    ("HARTLEY's", 0),
    ("héllo", 0),
]


@pytest.mark.parametrize("q, matches", SYNTAX)
def test_query_syntax_is_never_syntax(app, client, users, q, matches):
    talk(app, client, users.a, "Hartley porch", "Booked.")
    page = search(client, users.a, q)
    assert page["total"] == len(page["results"]) == matches


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 201},
        {"q": "ok", "limit": 0},
        {"q": "ok", "limit": 51},
        {"q": "ok", "limit": "ten"},
        {"q": "ok", "offset": -1},
        {"q": "a\x00b"},
    ],
)
def test_bad_queries_are_422(client, users, params):
    response = client.get("/api/search", query_string=params, headers=users.a)
    assert_error(response, 422, "VALIDATION_ERROR")


def test_a_token_is_required(client):
    assert_error(client.get("/api/search?q=x"), 401, "AUTH_REQUIRED")


def test_pages_newest_match_first(app, client, users):
    ids = [
        talk(app, client, users.a, f"Lavender room {n}", "Ok.")["conversation_id"] for n in range(3)
    ]
    first = search(client, users.a, "lavender", limit=2)
    assert [h["conversation_id"] for h in first["results"]] == ids[:0:-1]
    assert first["total"] == 3 and first["has_more"]
    last = search(client, users.a, "lavender", limit=2, offset=2)
    assert [h["conversation_id"] for h in last["results"]] == ids[:1]
    assert last["total"] == 3 and not last["has_more"]
    beyond = search(client, users.a, "lavender", offset=10)
    assert beyond["results"] == [] and beyond["total"] == 3 and not beyond["has_more"]


def test_a_deleted_conversation_is_no_longer_found(app, client, users):
    cid = talk(app, client, users.a, "Saffron hallway", "Ok.")["conversation_id"]
    client.delete(f"/api/conversations/{cid}", headers=users.a)
    assert search(client, users.a, "saffron")["total"] == 0


def test_an_answer_is_found_once_it_ends_not_while_it_streams(make_app, users):
    app = make_app(CONTENT_FLUSH_SECONDS=0.05)
    client = app.test_client()
    release = threading.Event()
    install(app, *routed([*say("Cerulean first coat"), Wait(release), *say(" then vermilion")]))
    response = client.post(
        "/api/chat/stream", json={"message": "colours?"}, headers=users.a, buffered=False
    )
    start = started(iter(response.response))
    cid = start["conversation_id"]
    assert wait_for(lambda: "Cerulean" in assistant_row(client, users.a, cid)["content"])
    assert found(client, users.a, "cerulean") == []  # saved, but not indexed while streaming
    release.set()
    response.close()
    assert wait_for(lambda: found(client, users.a, "vermilion") == [cid])
    (hit,) = search(client, users.a, "cerulean")["results"]
    assert hit["message_id"] == start["message_id"] and hit["role"] == "assistant"


def test_an_answer_left_streaming_is_found_once_the_sweep_interrupts_it(app, client, users):
    cid = talk(app, client, users.a, "Umber porch", "Ok.")["conversation_id"]
    store = user_store(app, users)
    # What a worker that died mid-answer leaves: a `streaming` row no generation will end.
    store.add_messages(
        cid, [NewMessage("user", "Colours?"), NewMessage("assistant", "Ochre", status="streaming")]
    )
    assert found(client, users.a, "ochre") == []
    assert sweep_abandoned(app, stale_seconds=0) == 1
    (hit,) = search(client, users.a, "ochre")["results"]
    assert hit["conversation_id"] == cid and hit["role"] == "assistant"


@pytest.mark.parametrize(
    "q",
    ["05", "2024-05-01", "2024 05", "smith", "john@smith.com", "smith.com", "1001", "inv 1001",
     "INV-1001", "inv-10", "foo_bar", "bar"],
)  # fmt: skip
def test_words_inside_dates_emails_and_numbers_are_found_alike(app, client, users, q):
    cid = talk(
        app, client, users.a, "Send INV-1001 to john@smith.com on 2024-05-01, ref foo_bar", "Ok."
    )["conversation_id"]
    (hit,) = search(client, users.a, q)["results"]
    assert hit["conversation_id"] == cid and hit["role"] == "user"
    assert "«" in hit["snippet"]
    for other in ("1002", "2024-06", "smithy", "inv 1001 x"):
        assert found(client, users.a, other) == []


def test_the_index_follows_every_write_and_serves_only_its_user(
    app, client, users, store_backend, request
):
    a = talk(app, client, users.a, "Umber ceiling", "Two coats.")["conversation_id"]
    talk(app, client, users.a, "Umber doors", "One coat.")
    b = talk(app, client, users.b, "Umber ceiling", "Two coats.")["conversation_id"]
    client.patch(f"/api/conversations/{a}", json={"title": "Umber hall"}, headers=users.a)
    client.delete(f"/api/conversations/{a}", headers=users.a)
    assert search(client, users.a, "umber")["total"] == 1
    if store_backend == "sqlite":  # the FTS5 index holds exactly what its tables hold
        with closing(sqlite3.connect(app.config["SQLITE_PATH"])) as conn:
            for table in ("message_search", "conversation_search"):
                # rank 1: compare the index with the rows of the table it indexes too
                check = f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"
                conn.execute(check)  # sqlite3.DatabaseError when they differ
        return
    # PostgREST's RPC, called directly: B's token finds B's only; anon may not call it.
    stack = request.getfixturevalue("pgstack")
    url = f"{stack.rest_url}/rpc/search_conversations"
    as_b = {"apikey": stack.anon_key, "Authorization": f"Bearer {stack.token_for(USER_B)}"}
    rows = httpx.post(url, json={"query": "umber"}, headers=as_b).json()
    assert [row["conversation_id"] for row in rows] == [b]
    anon = {"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}"}
    refused = httpx.post(url, json={"query": "umber"}, headers=anon)
    assert refused.status_code in (401, 403) and refused.json()["code"] == "42501"
