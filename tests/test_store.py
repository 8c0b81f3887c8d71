"""The store interface, one suite run on both backends: a SQLite file and Supabase (a real
PostgreSQL + PostgREST, pgstack). Each test gets fresh users, so nothing leaks between tests."""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from postgrest import APIError

from canvalo_app.errors import AppError, StoreUnavailable
from canvalo_app.resilience import RetryPolicy
from canvalo_app.store.base import Filter, Identity, NewMessage, Search, Store, now_iso
from canvalo_app.store.sqlite import SQLiteStore
from canvalo_app.store.supabase import SupabaseStore, classify
from canvalo_app.store.tables import BUSINESS_TABLES
from tests.conftest import supabase_overrides
from tests.pgstack_fixture import RestV1Transport, pgstack_module

POLICY = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
#: A minimal valid row per business table.
RECORDS: dict[str, dict] = {
    "contacts": {"first_name": "Ann", "contact_type": "client"},
    "projects": {
        "name": "Kitchen repaint",
        "budget": 4200.5,
        "start_date": "2025-03-01",
        "status": "completed",
        "completed_on": "2025-03-20",
    },
    "invoices": {
        "invoice_number": "INV-1",
        "client_name": "Ann Smith",
        "issue_date": "2025-01-15",
        "line_items": [{"description": "Walls", "amount": 1200.5}],
        "total_amount": 1200.5,
    },
    "appointments": {
        "title": "Estimate",
        "start_time": "2025-02-01T09:00:00+00:00",
        "end_time": "2025-02-01T10:00:00.250000+00:00",
    },
    "proposals": {
        "proposal_number": "P-1",
        "title": "Exterior",
        "client_name": "Ann",
        "status": "accepted",
        "accepted_at": "2025-02-03T15:00:00+00:00",
    },
    "reviews": {"reviewer_name": "Ann", "rating": 5, "review_date": "2025-01-20"},
    "campaigns": {"name": "Spring promo"},
    "tasks": {"title": "Buy primer"},
    "goals": {"title": "Q1 revenue", "target_value": 50000},
    "business_settings": {"business_name": "Ann's Painting"},
    # And the id of an invoice of the same user: see `record_for`.
    "payments": {"amount": 250.5, "method": "check", "paid_on": "2025-02-01"},
}
assert set(RECORDS) == set(BUSINESS_TABLES)


def record_for(user, table: str) -> dict:
    """RECORDS[table], with a new invoice of `user`'s for a payment to be made on."""
    if table != "payments":
        return dict(RECORDS[table])
    invoice = user.create_record("invoices", RECORDS["invoices"])
    return {**RECORDS[table], "invoice_id": invoice["id"]}


@dataclass
class Backend:
    name: str
    store: Store
    token_for: Callable[[str], str]

    def user(self, user_id: str | None = None):
        """The store of a new user (or of `user_id`), as one request would get it."""
        user_id = user_id or str(uuid.uuid4())
        return self.store.for_user(Identity(user_id, self.token_for(user_id)))


def sqlite_store(path) -> SQLiteStore:
    store = SQLiteStore(str(path), POLICY)
    store.init_schema()
    return store


def supabase_store(stack, policy: RetryPolicy = POLICY, **overrides) -> SupabaseStore:
    return SupabaseStore({**supabase_overrides(stack), **overrides}, policy)


@pytest.fixture(params=["sqlite", "supabase"])
def backend(request, tmp_path):
    if request.param == "sqlite":  # SQLite trusts the verified identity; it reads no token
        built = Backend("sqlite", sqlite_store(tmp_path / "store.sqlite3"), lambda _: "unused")
    else:
        stack = request.getfixturevalue("pgstack")
        built = Backend("supabase", supabase_store(stack), stack.token_for)
    yield built
    built.store.close()


@pytest.fixture
def alice(backend):
    return backend.user()


@pytest.fixture
def bob(backend):
    return backend.user()


def pause():
    """Let the clock move on, so rows written next have a later timestamp."""
    time.sleep(0.002)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Conversations --------------------------------------------------------------------------
def test_conversation_lifecycle(alice):
    created = alice.create_conversation("Henderson job", {"source": "chat"})
    assert set(created) == {
        "id",
        "user_id",
        "title",
        "metadata",
        "message_count",
        "last_message_at",
        "created_at",
        "updated_at",
        "active_leaf_id",
        "title_source",
    }
    assert created["active_leaf_id"] is None  # no message yet
    assert (created["title"], created["metadata"], created["user_id"]) == (
        "Henderson job",
        {"source": "chat"},
        alice.user_id,
    )
    assert (created["message_count"], created["last_message_at"]) == (0, None)
    assert TIMESTAMP.match(created["created_at"]) and TIMESTAMP.match(created["updated_at"])
    assert alice.get_conversation(created["id"]) == created

    pause()
    renamed = alice.rename_conversation(created["id"], "Henderson exterior")
    assert renamed["title"] == "Henderson exterior"
    assert renamed["updated_at"] > created["updated_at"]
    assert alice.get_conversation(created["id"]) == renamed

    assert alice.delete_conversation(created["id"]) is True
    assert alice.get_conversation(created["id"]) is None
    assert alice.delete_conversation(created["id"]) is False
    assert alice.rename_conversation(created["id"], "Gone") is None


def test_create_conversation_defaults_metadata(alice):
    assert alice.create_conversation("New conversation")["metadata"] == {}


def test_conversations_are_newest_activity_first_and_paged(alice):
    ids = []
    for n in range(4):
        ids.append(alice.create_conversation(f"Job {n}")["id"])
        pause()
    assert [c["id"] for c in alice.list_conversations(10, 0)[0]] == ids[::-1]

    alice.add_message(ids[0], "user", "new activity")  # the oldest moves to the top
    order = [ids[0], ids[3], ids[2], ids[1]]
    assert [c["id"] for c in alice.list_conversations(10, 0)[0]] == order
    rows, total = alice.list_conversations(2, 1)
    assert ([c["id"] for c in rows], total) == (order[1:3], 4)
    assert alice.list_conversations(2, 4) == ([], 4)
    assert alice.list_conversations(2, 40) == ([], 4)


SEARCH_TITLES = [
    "Henderson exterior",
    "100% done",
    "Co_op office",
    "Star* deal",
    'The "Big" (one), maybe',
    r"C:\paint\walls",
    "a.b [x]{2}+?^$|",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hender", ["Henderson exterior"]),
        ("HENDERSON EXT", ["Henderson exterior"]),
        ("%", ["100% done"]),
        ("_", ["Co_op office"]),
        ("*", ["Star* deal"]),
        ('"big"', ['The "Big" (one), maybe']),
        ("(one),", ['The "Big" (one), maybe']),
        ("\\", [r"C:\paint\walls"]),
        (r"\p", [r"C:\paint\walls"]),
        (".", ["a.b [x]{2}+?^$|"]),
        ("[x]{2}+?^$|", ["a.b [x]{2}+?^$|"]),
        ("a.n", []),  # a regex dot would match "ande" in Henderson
        ("o%", []),  # a LIKE wildcard would match "Co_op office"
        ("***", []),
        ('"),title.neq.(x', []),  # PostgREST syntax stays text
        ("x,user_id.neq.0", []),
    ],
)
def test_conversation_search_is_literal_and_case_insensitive(alice, bob, text, expected):
    for title in SEARCH_TITLES:
        alice.create_conversation(title)
    bob.create_conversation(f"Bob's {text}")
    rows, total = alice.list_conversations(50, 0, text)
    assert sorted(c["title"] for c in rows) == sorted(expected)
    assert total == len(expected)


# Messages --------------------------------------------------------------------------------
def test_messages_are_oldest_first_paged_and_counted(alice):
    conversation = alice.create_conversation("Chat")
    sent = []
    for n in range(5):
        role = "user" if n % 2 == 0 else "assistant"
        sent.append(alice.add_message(conversation["id"], role, f"m{n}"))
        pause()
    assert set(sent[0]) == {
        "id",
        "conversation_id",
        "user_id",
        "role",
        "content",
        "agent_type",
        "status",
        "metadata",
        "client_message_id",
        "created_at",
        "updated_at",
        "parent_id",
        "feedback",
    }
    assert (sent[0]["status"], sent[0]["metadata"], sent[0]["agent_type"]) == ("complete", {}, None)
    # One branch: each message follows the one before it, and the last one is the leaf.
    assert [m["parent_id"] for m in sent] == [None, *(m["id"] for m in sent[:-1])]

    page, total = alice.list_messages(conversation["id"], 2, 1)
    assert ([m["content"] for m in page], total) == (["m1", "m2"], 5)
    assert alice.list_messages(conversation["id"], 2, 9) == ([], 5)
    assert [m["content"] for m in alice.recent_messages(conversation["id"], 3)] == [
        "m2",
        "m3",
        "m4",
    ]
    after = alice.get_conversation(conversation["id"])
    assert after["active_leaf_id"] == sent[-1]["id"]
    assert after["message_count"] == 5
    assert after["last_message_at"] == sent[-1]["created_at"]
    assert after["updated_at"] >= sent[-1]["created_at"]


def test_message_fields_update_and_lookup(alice):
    conversation = alice.create_conversation("Chat")
    client_id, message_id = str(uuid.uuid4()), str(uuid.uuid4())
    asked = alice.add_message(conversation["id"], "user", "Hi", client_message_id=client_id)
    answer = alice.add_message(
        conversation["id"],
        "assistant",
        "",
        status="streaming",
        agent_type="invoices",
        metadata={"tool_calls": []},
        message_id=message_id,
    )
    assert answer["id"] == message_id and answer["status"] == "streaming"
    assert alice.find_message_by_client_id(client_id) == asked
    assert alice.find_message_by_client_id(str(uuid.uuid4())) is None
    assert alice.get_message(message_id) == answer

    pause()
    usage = {"usage": {"input_tokens": 3, "output_tokens": 5}, "tool_calls": [{"n": "x"}]}
    done = alice.update_message(message_id, content="Done.", status="complete", metadata=usage)
    assert (done["content"], done["status"], done["metadata"]) == ("Done.", "complete", usage)
    assert done["agent_type"] == "invoices" and done["updated_at"] > answer["updated_at"]
    assert alice.get_message(message_id) == done
    with pytest.raises(ValueError):
        alice.update_message(message_id, user_id=str(uuid.uuid4()))
    assert alice.update_message(str(uuid.uuid4()), content="x") is None


def test_add_message_needs_a_conversation_of_the_user(alice, bob):
    assert alice.add_message(str(uuid.uuid4()), "user", "into nothing") is None
    bobs = bob.create_conversation("Bob's")
    assert alice.add_message(bobs["id"], "user", "into Bob's") is None
    assert bob.list_messages(bobs["id"], 10, 0) == ([], 0)


def test_a_client_message_id_names_one_message_per_user(alice, bob):
    conversation = alice.create_conversation("Chat")
    client_id = str(uuid.uuid4())
    first = alice.add_message(conversation["id"], "user", "Hi", client_message_id=client_id)
    for into in (conversation, alice.create_conversation("Elsewhere")):
        with pytest.raises(AppError) as refused:  # a second copy of the send, from anywhere
            alice.add_message(into["id"], "user", "Hi", client_message_id=client_id)
        assert refused.value.code == "DUPLICATE_MESSAGE"
    assert alice.list_messages(conversation["id"], 10, 0)[1] == 1
    assert alice.find_message_by_client_id(client_id) == first
    # Without one, and for another user, nothing is refused.
    assert alice.add_message(conversation["id"], "assistant", "Hello")
    assert alice.add_message(conversation["id"], "assistant", "Hello again")
    bobs = bob.create_conversation("Bob's")
    assert bob.add_message(bobs["id"], "user", "Hi", client_message_id=client_id)


def test_messages_added_together_are_all_stored_in_order_or_none_is(alice, bob):
    conversation = alice.create_conversation("Chat")
    turn = [NewMessage("user", "Hi"), NewMessage("assistant", "", status="streaming")]
    user, assistant = alice.add_messages(conversation["id"], turn)
    assert (user["role"], assistant["role"], assistant["status"]) == (
        "user",
        "assistant",
        "streaming",
    )
    assert user["created_at"] < assistant["created_at"]
    listed = alice.list_messages(conversation["id"], 10, 0)[0]
    assert [m["id"] for m in listed] == [user["id"], assistant["id"]]
    taken = str(uuid.uuid4())
    alice.add_message(conversation["id"], "user", "Sent before", client_message_id=taken)
    with pytest.raises(AppError) as refused:  # the second row is a copy: the first stays out
        alice.add_messages(
            conversation["id"],
            [NewMessage("assistant", "a"), NewMessage("user", "b", client_message_id=taken)],
        )
    assert refused.value.code == "DUPLICATE_MESSAGE"
    assert alice.list_messages(conversation["id"], 10, 0)[1] == 3
    bobs = bob.create_conversation("Bob's")
    assert alice.add_messages(bobs["id"], turn) is None
    assert bob.list_messages(bobs["id"], 10, 0) == ([], 0)


def test_deleting_a_conversation_deletes_its_messages(alice):
    conversation = alice.create_conversation("Chat")
    message = alice.add_message(conversation["id"], "user", "hello")
    assert alice.delete_conversation(conversation["id"])
    assert alice.list_messages(conversation["id"], 10, 0) == ([], 0)
    assert alice.get_message(message["id"]) is None


# Business records --------------------------------------------------------------------------
@pytest.mark.parametrize("table", list(RECORDS))
def test_record_lifecycle(alice, table):
    values = record_for(alice, table)
    created = alice.create_record(table, values)
    assert {k: created[k] for k in values} == values
    assert created["user_id"] == alice.user_id and TIMESTAMP.match(created["created_at"])
    assert alice.get_record(table, created["id"]) == created
    assert alice.list_records(table) == [created]
    assert alice.count_records(table) == 1

    pause()
    column = next(
        c
        for c in BUSINESS_TABLES[table]
        if c in ("notes", "description", "address", "comment", "audience")
    )
    updated = alice.update_record(table, created["id"], {column: "changed"})
    assert updated[column] == "changed" and updated["updated_at"] > created["updated_at"]
    assert alice.update_record(table, created["id"], {}) is not None, "an empty update touches"

    assert alice.delete_record(table, created["id"]) is True
    assert alice.get_record(table, created["id"]) is None
    assert alice.delete_record(table, created["id"]) is False
    assert alice.update_record(table, created["id"], {column: "again"}) is None


def test_unknown_tables_and_columns_never_reach_a_query(alice):
    with pytest.raises(ValueError):
        alice.list_records("agent_messages")
    with pytest.raises(ValueError):
        alice.create_record("contacts", {"first_name": "Ann", "user_id": str(uuid.uuid4())})
    with pytest.raises(ValueError):
        alice.list_records("contacts", filters=[Filter("first_name; drop", "eq", "x")])
    with pytest.raises(ValueError):
        alice.count_records("contacts", search=Search(("password",), "x"))
    with pytest.raises(ValueError):
        alice.list_records("contacts", order_by="user_id")


INVOICES = [
    {"invoice_number": "INV-1", "client_name": "Ann Smith", "status": "draft",
     "total_amount": 100, "due_date": "2025-01-10", "notes": r"C:\paint\walls"},
    {"invoice_number": "INV-2", "client_name": 'Bob, Jr. ("The" Painter)', "status": "sent",
     "total_amount": 250.5, "due_date": None, "notes": None},
    {"invoice_number": "INV-3", "client_name": "100% Co_op*", "status": "paid",
     "total_amount": 400, "due_date": "2025-03-01", "notes": "paid in full"},
    {"invoice_number": "INV-4", "client_name": "Dana", "status": "overdue",
     "total_amount": 250.5, "due_date": "2025-02-01", "notes": "call Ann"},
]  # fmt: skip
BOB = 'Bob, Jr. ("The" Painter)'


@pytest.mark.parametrize(
    ("filters", "search", "expected"),
    [
        ([], None, [1, 2, 3, 4]),
        ([Filter("status", "eq", "draft")], None, [1]),
        ([Filter("status", "neq", "draft")], None, [2, 3, 4]),
        ([Filter("total_amount", "lt", 250.5)], None, [1]),
        ([Filter("total_amount", "lte", 250.5)], None, [1, 2, 4]),
        ([Filter("total_amount", "gt", 250.5)], None, [3]),
        ([Filter("total_amount", "gte", 250.5)], None, [2, 3, 4]),
        ([Filter("status", "in", ["sent", "paid"])], None, [2, 3]),
        ([Filter("status", "in", [])], None, []),
        ([Filter("status", "not_in", ["sent", "paid"])], None, [1, 4]),
        ([Filter("status", "not_in", [])], None, [1, 2, 3, 4]),
        ([Filter("due_date", "lt", "2025-02-15")], None, [1, 4]),
        ([Filter("total_amount", "gt", 200), Filter("status", "neq", "paid")], None, [2, 4]),
        ([Filter("client_name", "eq", BOB)], None, [2]),
        ([Filter("client_name", "in", [BOB, "Dana"])], None, [2, 4]),
        ([Filter("client_name", "eq", "x,invoice_number.neq.0")], None, []),
        ([Filter("status", "in", ['sent"),status.neq.("x'])], None, []),
        # SQL's NULL: no comparison with it is true, as in SQLite.
        ([Filter("due_date", "eq", None)], None, []),
        ([Filter("status", "in", [None, "draft"])], None, [1]),
        ([Filter("status", "not_in", [None, "draft"])], None, []),
        ([Filter("notes", "is_null", True)], None, [2]),
        ([Filter("due_date", "is_null", False)], None, [1, 3, 4]),
        ([], Search(("client_name", "notes"), "ann"), [1, 4]),
        ([], Search(("client_name", "notes"), "BOB, JR."), [2]),
        ([], Search(("client_name",), "%"), [3]),
        ([], Search(("client_name",), "_"), [3]),
        ([], Search(("client_name",), "*"), [3]),
        ([], Search(("client_name",), '("the"'), [2]),
        ([], Search(("notes",), "\\"), [1]),
        ([], Search(("client_name", "notes"), ""), [1, 2, 3, 4]),
        ([], Search(("client_name",), '"),user_id.neq.(x'), []),
        ([Filter("status", "neq", "overdue")], Search(("client_name", "notes"), "a"), [1, 2, 3]),
    ],
)
def test_list_and_count_records_filter_and_search(alice, bob, filters, search, expected):
    for values in INVOICES:
        alice.create_record("invoices", {**values, "issue_date": "2025-01-01"})
        bob.create_record("invoices", {**values, "issue_date": "2025-01-01"})
    rows = alice.list_records("invoices", filters=filters, search=search, order_by="invoice_number")
    assert [row["invoice_number"] for row in rows] == [f"INV-{n}" for n in expected]
    assert {row["user_id"] for row in rows} <= {alice.user_id}
    assert alice.count_records("invoices", filters=filters, search=search) == len(expected)


@pytest.mark.parametrize(
    ("order_by", "descending", "limit", "offset", "expected"),
    [
        ("due_date", False, 50, 0, [2, 1, 4, 3]),  # NULL sorts first, as in SQLite
        ("due_date", True, 50, 0, [3, 4, 1, 2]),
        ("invoice_number", True, 2, 1, [3, 2]),
        ("invoice_number", False, 2, 3, [4]),
        ("invoice_number", False, 2, 8, []),
    ],
)
def test_list_records_orders_and_pages(alice, order_by, descending, limit, offset, expected):
    for values in INVOICES:
        alice.create_record("invoices", {**values, "issue_date": "2025-01-01"})
    rows = alice.list_records(
        "invoices", order_by=order_by, descending=descending, limit=limit, offset=offset
    )
    assert [row["invoice_number"] for row in rows] == [f"INV-{n}" for n in expected]


# Pending actions ---------------------------------------------------------------------------
def new_action(store, expires_in: float = 600, **values) -> dict:
    conversation = store.create_conversation("Chat")
    expires = datetime.now(UTC) + timedelta(seconds=expires_in)
    return store.create_action(
        {
            "conversation_id": conversation["id"],
            "message_id": str(uuid.uuid4()),
            "agent_type": "invoices",
            "tool_name": "delete_invoice",
            "input": {"id": str(uuid.uuid4())},
            "summary": "Delete invoice INV-1",
            "status": "pending",
            "expires_at": expires.isoformat(timespec="microseconds"),
            **values,
        }
    )


def test_action_is_resolved_once_then_finished(alice):
    action = new_action(alice)
    assert (action["status"], action["result"], action["resolved_at"]) == ("pending", None, None)
    assert action["input"] == alice.get_action(action["id"])["input"]

    now = now_iso()
    confirmed = alice.resolve_action(action["id"], "confirmed", now)
    assert confirmed["status"] == "confirmed"
    assert datetime.fromisoformat(confirmed["resolved_at"]) == datetime.fromisoformat(now)
    assert alice.resolve_action(action["id"], "cancelled", now_iso()) is None

    finished = alice.finish_action(action["id"], "confirmed", {"deleted": True})
    assert (finished["status"], finished["result"]) == ("confirmed", {"deleted": True})
    assert alice.get_action(action["id"]) == finished


def test_expired_action_is_not_resolved(alice):
    action = new_action(alice, expires_in=-1)
    assert alice.resolve_action(action["id"], "confirmed", now_iso()) is None
    assert alice.get_action(action["id"])["status"] == "pending"


def test_concurrent_resolves_let_exactly_one_win(backend):
    owner = backend.user()
    action = new_action(owner)
    start = threading.Barrier(8)

    def resolve(_):
        start.wait()
        return backend.user(owner.user_id).resolve_action(action["id"], "confirmed", now_iso())

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(resolve, range(8)))
    assert sum(outcome is not None for outcome in outcomes) == 1


# Isolation -----------------------------------------------------------------------------------
def test_another_users_rows_are_invisible_and_untouchable(alice, bob):
    conversation = alice.create_conversation("Alice's job")
    message = alice.add_message(
        conversation["id"], "user", "private", client_message_id=str(uuid.uuid4())
    )
    record = alice.create_record("contacts", RECORDS["contacts"])
    action = new_action(alice)
    before = (
        alice.get_conversation(conversation["id"]),
        alice.get_message(message["id"]),
        alice.get_record("contacts", record["id"]),
        alice.get_action(action["id"]),
    )

    assert bob.list_conversations(50, 0) == ([], 0)
    assert bob.list_conversations(50, 0, "Alice") == ([], 0)
    assert bob.get_conversation(conversation["id"]) is None
    assert bob.rename_conversation(conversation["id"], "Bob's now") is None
    assert bob.delete_conversation(conversation["id"]) is False
    assert bob.list_messages(conversation["id"], 50, 0) == ([], 0)
    assert bob.recent_messages(conversation["id"], 50) == []
    assert bob.add_message(conversation["id"], "user", "hijack") is None
    assert bob.get_message(message["id"]) is None
    assert bob.update_message(message["id"], content="hijacked") is None
    assert bob.find_message_by_client_id(message["client_message_id"]) is None
    assert bob.list_records("contacts") == [] and bob.count_records("contacts") == 0
    assert bob.get_record("contacts", record["id"]) is None
    assert bob.update_record("contacts", record["id"], {"notes": "hijacked"}) is None
    assert bob.delete_record("contacts", record["id"]) is False
    assert bob.get_action(action["id"]) is None
    assert bob.resolve_action(action["id"], "confirmed", now_iso()) is None
    assert bob.finish_action(action["id"], "confirmed", {}) is None

    after = (
        alice.get_conversation(conversation["id"]),
        alice.get_message(message["id"]),
        alice.get_record("contacts", record["id"]),
        alice.get_action(action["id"]),
    )
    assert after == before
    assert alice.list_messages(conversation["id"], 50, 0)[1] == 1


@pytest.mark.parametrize(
    "bad_id", ["not-a-uuid", "", "1 or 1=1", "%", "*", "urn:uuid:" + str(uuid.UUID(int=1))]
)
def test_malformed_ids_find_nothing(alice, bad_id):
    assert alice.get_conversation(bad_id) is None
    assert alice.rename_conversation(bad_id, "x") is None
    assert alice.delete_conversation(bad_id) is False
    assert alice.list_messages(bad_id, 10, 0) == ([], 0)
    assert alice.recent_messages(bad_id, 10) == []
    assert alice.add_message(bad_id, "user", "x") is None
    assert alice.get_message(bad_id) is None
    assert alice.update_message(bad_id, content="x") is None
    assert alice.find_message_by_client_id(bad_id) is None
    assert alice.get_record("tasks", bad_id) is None
    assert alice.update_record("tasks", bad_id, {"title": "x"}) is None
    assert alice.delete_record("tasks", bad_id) is False
    assert alice.get_action(bad_id) is None
    assert alice.resolve_action(bad_id, "confirmed", now_iso()) is None
    assert alice.finish_action(bad_id, "failed", {}) is None


def test_concurrent_users_never_see_each_others_rows(backend):
    """Two users' requests interleave on many threads, each with its own per-request store."""
    owners = [str(uuid.uuid4()), str(uuid.uuid4())]

    def request_cycle(n: int) -> tuple[str, list[dict]]:
        owner = owners[n % 2]
        store = backend.user(owner)
        conversation = store.create_conversation(f"{owner} #{n}")
        store.add_message(conversation["id"], "user", f"{owner} says {n}")
        store.create_record("tasks", {"title": f"{owner} task {n}"})
        seen = [
            *store.list_conversations(100, 0)[0],
            *store.list_messages(conversation["id"], 100, 0)[0],
            *store.recent_messages(conversation["id"], 10),
            *store.list_records("tasks", limit=100),
            *store.list_records("tasks", search=Search(("title",), "task"), limit=100),
        ]
        return owner, seen

    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(request_cycle, range(96)))

    for owner, seen in results:
        assert seen, "every cycle reads its own rows back"
        assert {row["user_id"] for row in seen} == {owner}
        assert all((row.get("title") or row.get("content") or "").startswith(owner) for row in seen)
    for owner in owners:
        store = backend.user(owner)
        assert store.list_conversations(100, 0)[1] == 48
        assert store.count_records("tasks") == 48


# Maintenance ---------------------------------------------------------------------------------
def test_sweep_marks_only_stale_streaming_messages(backend, alice):
    backend.store.sweep_streaming(now_iso())  # earlier tests' leftovers (a shared database)
    conversation = alice.create_conversation("Chat")
    stale = alice.add_message(conversation["id"], "assistant", "partial", status="streaming")
    done = alice.add_message(conversation["id"], "assistant", "whole")
    pause()
    cutoff = now_iso()
    pause()
    live = alice.add_message(conversation["id"], "assistant", "still going", status="streaming")

    assert backend.store.sweep_streaming(cutoff) == 1
    assert alice.get_message(stale["id"])["status"] == "interrupted"
    assert alice.get_message(stale["id"])["content"] == "partial"
    assert alice.get_message(done["id"])["status"] == "complete"
    assert alice.get_message(live["id"])["status"] == "streaming"
    assert backend.store.sweep_streaming(cutoff) == 0


def test_ping_answers_when_the_store_is_up(backend):
    assert backend.store.ping() is None


# Supabase only: keys, failures and their translation -----------------------------------------
def test_rows_have_the_same_shape_on_both_backends(pgstack, tmp_path):
    user_id = str(uuid.uuid4())
    identity = Identity(user_id, pgstack.token_for(user_id))
    stores = [sqlite_store(tmp_path / "parity.sqlite3"), supabase_store(pgstack)]
    try:
        users = [store.for_user(identity) for store in stores]

        def both(write) -> tuple[dict, dict]:
            lite_row, supa_row = (write(user) for user in users)
            return lite_row, supa_row

        conversations = both(lambda user: user.create_conversation("Parity", {"k": [1]}))
        pairs = [conversations]
        pairs.append(
            tuple(
                user.add_message(c["id"], "assistant", "hi", status="streaming", metadata={"u": 1})
                for user, c in zip(users, conversations, strict=True)
            )
        )
        pairs.extend(
            both(lambda user, t=t: user.create_record(t, record_for(user, t))) for t in RECORDS
        )
        for lite_row, supa_row in pairs:
            assert set(lite_row) == set(supa_row)
            generated = {
                "id",
                "conversation_id",
                "invoice_id",
                "created_at",
                "updated_at",
                "last_message_at",
            }
            for key in set(lite_row) - generated:
                assert lite_row[key] == supa_row[key], key
            for key in ("created_at", "updated_at"):
                assert TIMESTAMP.match(lite_row[key]) and TIMESTAMP.match(supa_row[key])
    finally:
        for store in stores:
            store.close()


def test_every_query_names_the_user_even_where_row_level_security_would_not(pgstack):
    """With a token that bypasses RLS (service_role), the store's own user filter still holds."""
    store = supabase_store(pgstack)
    alice_id, bob_id = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        alice = store.for_user(Identity(alice_id, pgstack.token_for(alice_id)))
        bob = store.for_user(Identity(bob_id, pgstack.service_key))
        conversation = alice.create_conversation("Alice's")
        record = alice.create_record("tasks", RECORDS["tasks"])
        assert bob.list_conversations(10, 0) == ([], 0)
        assert bob.get_conversation(conversation["id"]) is None
        assert bob.rename_conversation(conversation["id"], "Bob's") is None
        assert bob.delete_conversation(conversation["id"]) is False
        assert bob.list_records("tasks") == [] and bob.count_records("tasks") == 0
        assert bob.delete_record("tasks", record["id"]) is False
        assert bob.create_record("tasks", RECORDS["tasks"])["user_id"] == bob_id
        assert alice.get_conversation(conversation["id"]) == conversation
    finally:
        store.close()


def test_sweep_without_the_secret_key_does_nothing(pgstack, caplog):
    store = supabase_store(pgstack, SUPABASE_SECRET_KEY=None)
    try:
        assert store.sweep_streaming(now_iso()) == 0
    finally:
        store.close()
    assert "SUPABASE_SECRET_KEY" in caplog.text


@pytest.mark.parametrize(
    ("claims", "code"),
    [({"exp": -60}, "TOKEN_EXPIRED"), ({"secret": "not-the-stack-secret-" * 2}, "TOKEN_INVALID")],
)
def test_a_token_postgrest_rejects_is_a_token_error(pgstack, claims, code):
    user_id = str(uuid.uuid4())
    now = int(time.time())
    token = pgstack_module.make_jwt(
        claims.get("secret", pgstack.jwt_secret),
        {"sub": user_id, "role": "authenticated", "aud": "authenticated",
         "exp": now + claims.get("exp", 60)},
    )  # fmt: skip
    store = supabase_store(pgstack)
    try:
        with pytest.raises(AppError) as raised:
            store.for_user(Identity(user_id, token)).list_conversations(10, 0)
    finally:
        store.close()
    assert raised.value.code == code and raised.value.status == 401


class Outage(httpx.BaseTransport):
    """The network edge: answers the first requests itself (an outage), then the stack does."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.stack = RestV1Transport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.answers:
            return self.stack.handle_request(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.stack.close()


SCHEMA_CACHE = httpx.Response(503, json={"code": "PGRST002", "message": "schema cache"})
GATEWAY = httpx.Response(502, text="<html>Bad gateway</html>")
DB_DOWN = httpx.Response(503, json={"code": "PGRST001", "message": "no connection"})
REFUSED = httpx.ConnectError("connection refused")


def test_transient_failures_are_retried_until_the_stack_answers(pgstack):
    outage = Outage(SCHEMA_CACHE, GATEWAY, REFUSED)
    store = supabase_store(pgstack, SUPABASE_HTTP_TRANSPORT=outage)
    user_id = str(uuid.uuid4())
    try:
        user = store.for_user(Identity(user_id, pgstack.token_for(user_id)))
        assert user.list_conversations(10, 0) == ([], 0)
        assert outage.answers == []
    finally:
        store.close()


def test_an_outage_longer_than_the_retries_is_store_unavailable(pgstack):
    outage = Outage(*[DB_DOWN] * 3, httpx.ReadTimeout("slow"))
    store = supabase_store(pgstack, SUPABASE_HTTP_TRANSPORT=outage)
    try:
        user_id = str(uuid.uuid4())
        with pytest.raises(StoreUnavailable):
            store.for_user(Identity(user_id, pgstack.token_for(user_id))).get_conversation(
                str(uuid.uuid4())
            )
    finally:
        store.close()


def test_a_defect_is_not_retried(pgstack):
    bad_request = httpx.Response(400, json={"code": "42703", "message": "column does not exist"})
    outage = Outage(bad_request)
    store = supabase_store(pgstack, SUPABASE_HTTP_TRANSPORT=outage)
    try:
        user_id = str(uuid.uuid4())
        with pytest.raises(APIError):
            store.for_user(Identity(user_id, pgstack.token_for(user_id))).list_records("tasks")
    finally:
        store.close()


def test_ping_fails_when_postgrest_is_unreachable(pgstack):
    store = supabase_store(pgstack, SUPABASE_URL=f"http://127.0.0.1:{closed_port()}")
    try:
        with pytest.raises(StoreUnavailable):
            store.ping()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (httpx.ConnectError("refused"), "STORE_UNAVAILABLE"),
        (httpx.ConnectTimeout("slow"), "STORE_UNAVAILABLE"),
        (httpx.PoolTimeout("busy"), "STORE_UNAVAILABLE"),
        (httpx.RemoteProtocolError("closed"), "STORE_UNAVAILABLE"),
        (APIError({"code": "PGRST000", "message": "db down"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "PGRST002", "message": "schema cache"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "PGRST003", "message": "pool timeout"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "503", "message": "Service Unavailable"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "08006", "message": "connection failure"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "40001", "message": "serialization"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "53300", "message": "too many connections"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "57014", "message": "statement timeout"}), "STORE_UNAVAILABLE"),
        (APIError({"code": "PGRST301", "message": "JWT expired"}), "TOKEN_EXPIRED"),
        (APIError({"code": "PGRST303", "message": "JWT expired"}), "TOKEN_EXPIRED"),
        (APIError({"code": "PGRST301", "message": "JWSInvalidSignature"}), "TOKEN_INVALID"),
        (APIError({"code": "23505", "message": "duplicate key"}), None),
        (APIError({"code": "42501", "message": "permission denied"}), None),
        (APIError({"code": "PGRST116", "message": "not one row"}), None),
        (APIError({"code": "404", "message": "Not Found"}), None),
        (ValueError("a bug"), None),
    ],
)
def test_classify(failure, code):
    translated = classify(failure)
    if code is None:
        assert translated is failure, "a defect is reported unchanged"
    else:
        assert isinstance(translated, AppError) and translated.code == code
        assert translated.retryable == (code == "STORE_UNAVAILABLE")


@pytest.mark.parametrize("store_backend", ["supabase"], indirect=True)
def test_readiness_checks_the_supabase_store(make_app):
    ready = make_app().test_client().get("/health/ready")
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"]["store"] == {"ok": True, "backend": "supabase"}

    down = make_app(SUPABASE_URL=f"http://127.0.0.1:{closed_port()}").test_client()
    response = down.get("/health/ready")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "SERVICE_NOT_READY"
    assert response.json["error"]["details"]["checks"]["store"] == {
        "ok": False,
        "backend": "supabase",
        "error": "STORE_UNAVAILABLE",
    }


def test_large_reads_come_back_whole(alice):
    """Supabase answers at most 1000 rows a request: a larger read is paged, never cut."""
    for n in range(1005):
        alice.create_record("tasks", {"title": f"task {n:04d}"})
    rows = alice.list_records("tasks", order_by="title", limit=5000)
    assert [row["title"] for row in rows] == [f"task {n:04d}" for n in range(1005)]
    assert alice.count_records("tasks") == 1005
    assert len(alice.list_records("tasks", order_by="title", limit=1002, offset=2)) == 1002


class LostAnswer(httpx.BaseTransport):
    """The network edge: the first write reaches PostgREST and commits, but its answer is
    lost on the way back (a read timeout) — the case where a retry could write twice."""

    def __init__(self):
        self.stack = RestV1Transport()
        self.lost = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.stack.handle_request(request)
        if request.method == "POST" and not self.lost:
            self.lost = True
            response.read()
            raise httpx.ReadTimeout("the answer was lost")
        return response

    def close(self) -> None:
        self.stack.close()


def test_a_retried_write_whose_answer_was_lost_writes_once(pgstack):
    edge = LostAnswer()
    store = supabase_store(pgstack, SUPABASE_HTTP_TRANSPORT=edge)
    user_id = str(uuid.uuid4())
    try:
        user = store.for_user(Identity(user_id, pgstack.token_for(user_id)))
        conversation = user.create_conversation("Once")
        assert user.list_conversations(10, 0)[1] == 1
        edge.lost = False  # and again for a sent message, whose client_message_id is unique too
        message = user.add_message(
            conversation["id"],
            "user",
            "hi",
            message_id=str(uuid.uuid4()),
            client_message_id=str(uuid.uuid4()),
        )
        assert message["content"] == "hi"
        assert user.list_messages(conversation["id"], 10, 0)[1] == 1
    finally:
        store.close()
