"""Row-level security of the Supabase migrations, tested on a real PostgreSQL + PostgREST.

Every request goes over HTTP straight to PostgREST with real tokens, as supabase-py sends it;
none of the app's code is involved. Each test gets two fresh users, Alice and Bob.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import httpx
import pytest
from postgrest.exceptions import APIError

from tests.pgstack_fixture import pgstack_module, strip_rest_v1, supabase_client

#: A minimal valid row per table, and a text column to change in it.
ROWS: dict[str, tuple[dict, str]] = {
    "agent_conversations": ({"title": "Repaint quote"}, "title"),
    "agent_messages": ({"role": "user", "content": "Invoice the Smith job"}, "content"),
    "agent_actions": (
        {
            "agent_type": "invoices",
            "tool_name": "delete_invoice",
            "summary": "Delete invoice INV-1",
            "expires_at": "2030-01-01T00:10:00+00:00",
        },
        "summary",
    ),
    "contacts": ({"first_name": "Ann"}, "first_name"),
    "projects": ({"name": "Kitchen repaint", "budget": 4200.5}, "name"),
    "invoices": (
        {
            "invoice_number": "INV-1",
            "client_name": "Ann Smith",
            "issue_date": "2025-01-15",
            "line_items": [{"description": "Walls", "amount": 1200.5}],
            "total_amount": 1200.5,
        },
        "client_name",
    ),
    "appointments": (
        {
            "title": "Estimate",
            "start_time": "2025-02-01T09:00:00+00:00",
            "end_time": "2025-02-01T10:00:00+00:00",
        },
        "title",
    ),
    "proposals": ({"proposal_number": "P-1", "title": "Exterior", "client_name": "Ann"}, "title"),
    "reviews": (
        {"reviewer_name": "Ann", "rating": 5, "review_date": "2025-01-20"},
        "reviewer_name",
    ),
    "campaigns": ({"name": "Spring promo"}, "name"),
    "tasks": ({"title": "Buy primer"}, "title"),
    "goals": ({"title": "Q1 revenue", "target_value": 50000}, "title"),
    "business_settings": ({"business_name": "Ann's Painting"}, "business_name"),
}
TABLES = list(ROWS)
#: Tables whose rows belong to a conversation as well as to a user.
IN_CONVERSATION = ("agent_messages", "agent_actions")


class Caller:
    """One client of PostgREST, sending the headers supabase-py sends."""

    def __init__(self, http: httpx.Client, apikey: str, token: str | None, user_id=None):
        self.http, self.id = http, user_id
        self.headers = {
            "apikey": apikey,
            "Accept-Profile": "api",
            "Content-Profile": "api",
            "Prefer": "return=representation",
        }
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, table: str, **kwargs) -> httpx.Response:
        return self.http.request(method, f"/{table}", headers=self.headers, **kwargs)

    def insert(self, table: str, row: dict) -> httpx.Response:
        return self.request("POST", table, json=row)

    def update(self, table: str, row_id: str, changes: dict) -> httpx.Response:
        return self.request("PATCH", table, params={"id": f"eq.{row_id}"}, json=changes)

    def delete(self, table: str, row_id: str) -> httpx.Response:
        return self.request("DELETE", table, params={"id": f"eq.{row_id}"})

    def rows(self, table: str, **equal) -> list[dict]:
        params = {column: f"eq.{value}" for column, value in equal.items()}
        response = self.request("GET", table, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def new_row(self, table: str) -> dict:
        """A minimal row for `table`; messages and actions go into a new conversation of ours."""
        row = dict(ROWS[table][0])
        if table in IN_CONVERSATION:
            row["conversation_id"] = self.created("agent_conversations")["id"]
        return row

    def created(self, table: str, row: dict | None = None) -> dict:
        response = self.insert(table, row if row is not None else self.new_row(table))
        assert response.status_code == 201, response.text
        return response.json()[0]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture(scope="module")
def http(pgstack):
    with httpx.Client(base_url=pgstack.rest_url, timeout=10) as client:
        yield client


def _user(pgstack, http) -> Caller:
    user_id = str(uuid.uuid4())
    return Caller(http, pgstack.anon_key, pgstack.token_for(user_id), user_id)


@pytest.fixture
def alice(pgstack, http) -> Caller:
    return _user(pgstack, http)


@pytest.fixture
def bob(pgstack, http) -> Caller:
    return _user(pgstack, http)


@pytest.fixture
def anon(pgstack, http) -> Caller:
    return Caller(http, pgstack.anon_key, pgstack.anon_key)


@pytest.mark.parametrize("table", TABLES)
def test_owner_can_insert_read_update_and_delete(alice, table):
    row = alice.created(table)
    assert row["user_id"] == alice.id, "user_id defaults to the caller"
    assert alice.rows(table, id=row["id"]) == [row]

    column = ROWS[table][1]
    response = alice.update(table, row["id"], {column: "changed"})
    assert response.status_code == 200, response.text
    [updated] = response.json()
    assert updated[column] == "changed"
    assert at(updated["updated_at"]) > at(row["updated_at"])

    response = alice.delete(table, row["id"])
    assert response.status_code == 200, response.text
    assert [gone["id"] for gone in response.json()] == [row["id"]]
    assert alice.rows(table, id=row["id"]) == []


@pytest.mark.parametrize("table", TABLES)
def test_other_user_cannot_read_change_or_delete_a_row(alice, bob, table):
    row = alice.created(table)
    column = ROWS[table][1]

    assert bob.rows(table, id=row["id"]) == []
    assert bob.rows(table) == []
    for changes in ({column: "hijacked"}, {"user_id": bob.id}):
        response = bob.update(table, row["id"], changes)
        assert (response.status_code, response.json()) == (200, []), "no row matched"
    response = bob.delete(table, row["id"])
    assert (response.status_code, response.json()) == (200, [])

    assert alice.rows(table, id=row["id"]) == [row], "Alice's row is untouched"


@pytest.mark.parametrize("table", TABLES)
def test_other_user_cannot_insert_a_row_owned_by_someone_else(alice, bob, table):
    response = bob.insert(table, {**alice.new_row(table), "user_id": alice.id})
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "42501"
    assert alice.rows(table) == []


@pytest.mark.parametrize("table", TABLES)
def test_owner_cannot_give_a_row_away(alice, bob, table):
    row = alice.created(table)
    response = alice.update(table, row["id"], {"user_id": bob.id})
    assert response.status_code == 403, response.text
    assert bob.rows(table) == []
    assert alice.rows(table, id=row["id"]) == [row]


def test_payments_are_their_owners_and_go_only_on_their_own_invoices(alice, bob):
    invoice = alice.created("invoices")
    paid = {
        "invoice_id": invoice["id"],
        "amount": 250.5,
        "method": "check",
        "paid_on": "2025-02-01",
    }
    row = alice.created("payments", paid)
    assert row["user_id"] == alice.id and alice.rows("payments", id=row["id"]) == [row]

    assert bob.rows("payments") == []
    for changes in ({"notes": "hijacked"}, {"user_id": bob.id}):
        response = bob.update("payments", row["id"], changes)
        assert (response.status_code, response.json()) == (200, []), "no row matched"
    assert (bob.delete("payments", row["id"]).json()) == []
    for refused in (
        bob.insert("payments", paid),  # his own row, on her invoice
        bob.insert("payments", {**paid, "user_id": alice.id}),
        alice.update("payments", row["id"], {"user_id": bob.id}),
    ):
        assert refused.status_code == 403 and refused.json()["code"] == "42501", refused.text
    his = bob.created("payments", {**paid, "invoice_id": bob.created("invoices")["id"]})
    moved = bob.update("payments", his["id"], {"invoice_id": invoice["id"]})
    assert moved.status_code == 403, "nor moved onto her invoice"
    assert alice.rows("payments", id=row["id"]) == [row]

    response = alice.update("payments", row["id"], {"notes": "Check #1184"})
    assert response.status_code == 200 and response.json()[0]["notes"] == "Check #1184"
    assert alice.delete("invoices", invoice["id"]).status_code == 200
    assert alice.rows("payments") == [], "a payment goes with its invoice"


def test_token_usage_is_its_owners_to_read_and_nobody_changes_it(alice, bob):
    """What counts against the monthly quota: the owner adds and reads it, cannot lower it,
    and another user can do nothing with it."""
    row = {"id": str(uuid.uuid4()), "input_tokens": 120, "output_tokens": 30}
    added = alice.insert("token_usage", row)
    assert added.status_code == 201, added.text
    [kept] = alice.rows("token_usage", id=row["id"])
    assert (kept["user_id"], kept["input_tokens"]) == (alice.id, 120)
    lowered = alice.update("token_usage", row["id"], {"input_tokens": 0})
    assert lowered.status_code == 403 and lowered.json()["code"] == "42501"
    assert bob.rows("token_usage") == []
    forged = bob.insert("token_usage", {**row, "id": str(uuid.uuid4()), "user_id": alice.id})
    assert forged.status_code == 403
    assert (bob.delete("token_usage", row["id"]).json(), alice.rows("token_usage")) == ([], [kept])


@pytest.mark.parametrize("table", IN_CONVERSATION)
def test_nobody_writes_into_another_users_conversation(alice, bob, table):
    in_alices = alice.new_row(table)
    response = bob.insert(table, in_alices)  # user_id defaults to Bob
    assert response.status_code == 403, response.text

    bobs = bob.created(table)
    moved = bob.update(table, bobs["id"], {"conversation_id": in_alices["conversation_id"]})
    assert moved.status_code == 403, moved.text
    assert alice.rows(table) == []


def test_feedback_is_the_owners_to_give_and_only_on_an_answer(alice, bob):
    question = alice.created("agent_messages", alice.new_row("agent_messages"))
    in_same = {"conversation_id": question["conversation_id"], "parent_id": question["id"]}
    answer = alice.created("agent_messages", {"role": "assistant", "content": "Yes", **in_same})
    feedback = {"rating": "up", "comment": None, "updated_at": "2026-01-01T00:00:00+00:00"}

    assert bob.update("agent_messages", answer["id"], {"feedback": feedback}).json() == []
    assert alice.rows("agent_messages", id=answer["id"])[0]["feedback"] is None
    [rated] = alice.update("agent_messages", answer["id"], {"feedback": feedback}).json()
    assert rated["feedback"] == feedback
    on_question = alice.update("agent_messages", question["id"], {"feedback": feedback})
    assert on_question.status_code == 400, on_question.text  # the check: answers only
    unknown = alice.update("agent_messages", answer["id"], {"feedback": {"rating": "meh"}})
    assert unknown.status_code == 400, unknown.text


@pytest.mark.parametrize("table", TABLES)
def test_anon_and_missing_token_are_refused(pgstack, http, alice, anon, table):
    row = alice.created(table)
    no_token = Caller(http, pgstack.anon_key, None)
    for caller in (anon, no_token):
        for response in (
            caller.request("GET", table),
            caller.insert(table, ROWS[table][0]),
            caller.update(table, row["id"], {ROWS[table][1]: "anon"}),
            caller.delete(table, row["id"]),
        ):
            assert response.status_code == 401, response.text
            assert response.json()["code"] == "42501"  # permission denied for table
    assert alice.rows(table, id=row["id"]) == [row]


def test_forged_and_expired_tokens_are_refused(pgstack, http, alice):
    alice.created("contacts")
    now = int(time.time())
    claims = {"sub": alice.id, "aud": "authenticated", "role": "authenticated", "exp": now + 60}
    forged = pgstack_module.make_jwt("not-the-secret-" * 3, claims)
    expired = pgstack_module.make_jwt(pgstack.jwt_secret, {**claims, "exp": now - 60})
    for token in (forged, expired):
        response = Caller(http, pgstack.anon_key, token).request("GET", "contacts")
        assert response.status_code == 401, response.text


def test_service_role_sees_every_users_rows(pgstack, http, alice, bob):
    service = Caller(http, pgstack.service_key, pgstack.service_key)
    mine, theirs = alice.created("contacts"), bob.created("contacts")
    assert service.rows("contacts", id=mine["id"]) == [mine]
    assert service.rows("contacts", id=theirs["id"]) == [theirs]


def test_deleting_a_conversation_deletes_its_messages_and_actions(pgstack, alice):
    conversation = alice.created("agent_conversations")["id"]
    for table in IN_CONVERSATION:
        for _ in range(2):
            alice.created(table, {**ROWS[table][0], "conversation_id": conversation})

    def counts() -> list[str]:
        sql = "select count(*) from api.{} where conversation_id = '{}'"
        return [pgstack.psql(sql.format(table, conversation)) for table in IN_CONVERSATION]

    assert counts() == ["2", "2"]

    response = alice.delete("agent_conversations", conversation)
    assert response.status_code == 200, response.text
    assert counts() == ["0", "0"]


def test_new_message_updates_conversation_activity(alice):
    conversation = alice.created("agent_conversations")
    assert (conversation["message_count"], conversation["last_message_at"]) == (0, None)

    for role in ("user", "assistant"):
        last = alice.created(
            "agent_messages", {"conversation_id": conversation["id"], "role": role, "content": role}
        )
    [after] = alice.rows("agent_conversations", id=conversation["id"])
    assert after["message_count"] == 2
    assert at(after["last_message_at"]) == at(last["created_at"])
    assert at(after["updated_at"]) >= at(last["created_at"])


def test_migrations_can_be_applied_again(pgstack, alice, bob):
    shape = """select (select count(*) from pg_policies where schemaname = 'api') || ' '
                   || (select count(*) from pg_class c join pg_namespace n on n.oid = relnamespace
                       where nspname = 'api' and relkind = 'r' and relrowsecurity) || ' '
                   || (select count(*) from information_schema.role_table_grants
                       where table_schema = 'api' and grantee = 'anon')"""
    # 4 policies on each of 14 tables, 3 on token_usage (no update); all RLS, nothing for anon
    assert pgstack.psql(shape) == "59 15 0"

    recorded = (
        "select string_agg(version || ' ' || applied_at, ', ' order by version) "
        "from public.schema_migrations"
    )
    before = pgstack.psql(recorded)
    assert before.startswith("0001 ") and "0005 " in before
    assert pgstack_module.apply_migrations(pgstack.db_url) == []  # every one recorded: a no-op
    assert pgstack.psql(recorded) == before
    # Each file is also safe to run again by hand, as on a project migrated before the runner.
    for path in sorted(pgstack_module.ROOT.joinpath("migrations").glob("*.sql")):
        pgstack.psql(path.read_text())
    assert pgstack.psql(shape) == "59 15 0"

    deadline = time.monotonic() + 10  # the migrations told PostgREST to reload its cache
    while httpx.get(f"{pgstack.admin_url}/ready").status_code != 200:
        assert time.monotonic() < deadline, "PostgREST did not reload its schema cache"
        time.sleep(0.05)
    row = alice.created("contacts")
    assert bob.rows("contacts", id=row["id"]) == []


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        ("/rest/v1/contacts?select=*&id=eq.1", "/contacts?select=*&id=eq.1"),
        ("/rest/v1/rpc/thing", "/rpc/thing"),
        ("/rest/v1", "/"),
        ("/rest/v1?x=1", "/?x=1"),
        ("/rest/v10/contacts", "/rest/v10/contacts"),
        ("/contacts", "/contacts"),
    ],
)
def test_rest_v1_prefix_is_stripped(sent, received):
    url = strip_rest_v1(httpx.URL(f"http://127.0.0.1:3000{sent}"))
    assert url.raw_path.decode() == received


def test_supabase_py_client_reaches_postgrest_through_rest_v1(pgstack, alice, bob):
    mine = alice.created("contacts", {"first_name": "Alice's client"})
    bob.created("contacts", {"first_name": "Bob's client"})

    client = supabase_client(pgstack, pgstack.token_for(alice.id))
    assert client.table("contacts").select("*").execute().data == [mine]
    added = client.table("contacts").insert({"first_name": "Via supabase-py"}).execute().data
    assert added[0]["user_id"] == alice.id

    with pytest.raises(APIError) as refused:
        supabase_client(pgstack).table("contacts").select("*").execute()
    assert refused.value.code == "42501"
