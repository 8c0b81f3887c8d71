"""The production store: Supabase's PostgREST, called with the signed-in user's own JWT.

Row-level security (migrations/0003) limits every request to the token's user, and every
query here filters on that user as well, so neither alone can leak a row. The store owns one
httpx pool per worker. Each user store gets a new postgrest-py client on that pool, with that
user's token in its own headers. (A shared client switched with `.auth()` would let a
concurrent request go out with someone else's token.) Only the sweep uses the secret key.
"""

from __future__ import annotations

import logging

import httpx
from postgrest import APIError, CountMethod, ReturnMethod, SyncPostgrestClient
from postgrest.constants import DEFAULT_POSTGREST_CLIENT_HEADERS

from config import ConfigError

from ..errors import AppError, StoreUnavailable
from ..resilience import RetryPolicy, retry_transient
from .base import Filter, Identity, Search, Store, UserStore, times_in_order
from .branches import Link
from .postgrest_query import UserTables, decode, is_uuid, violates
from .supabase_account import SupabaseAccount

log = logging.getLogger(__name__)

REST_PATH = "/rest/v1"
# A gevent worker carries many streams, each saving its answer about once a second: keep
# enough connections that they rarely queue. Supabase cancels statements after ~8 s.
TIMEOUT = httpx.Timeout(15.0, connect=5.0, pool=10.0)
LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=30)

PERMISSION_DENIED = "42501"  # PostgreSQL: no grant, or a row-level security check failed
FOREIGN_KEY_VIOLATION = "23503"
CLIENT_MESSAGE_INDEX = "agent_messages_user_client_message"  # migrations/0004
PARENT_IN_CONVERSATION = "agent_messages_parent_in_conversation"  # migrations/0008
JWT_REJECTED = {"PGRST301", "PGRST302", "PGRST303"}
#: SQLSTATE classes of a database that is down, overloaded, restarting or cancelled a
#: statement: connection (08), rollback (40), resources (53), operator (57), system (58),
#: internal (XX). Other 5xx answers (a broken query or policy) fail the same way every time.
TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58", "XX")

#: The most rows one request asks for (Supabase answers at most 1000 by default).
PAGE_ROWS = 1000
#: Ids in one `in` filter: the request line stays a few kilobytes (proxies refuse long ones).
IDS_PER_REQUEST = 100


def _a_write(exc: httpx.HTTPError) -> bool:
    try:
        return exc.request.method != "GET"
    except RuntimeError:  # no request attached: assume the worst
        return True


def classify(exc: Exception) -> Exception:
    """An unreachable or overloaded PostgREST/database is an outage; anything else is a defect."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return StoreUnavailable()  # the request never left
    if isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return StoreUnavailable(maybe_written=_a_write(exc))  # sent, and its answer lost
    if not isinstance(exc, APIError):
        return exc
    code = exc.code or ""
    if code in JWT_REJECTED:
        expired = "expired" in (exc.message or "").lower()
        return AppError("TOKEN_EXPIRED" if expired else "TOKEN_INVALID")
    unreachable = code.startswith("PGRST0")  # no database connection or schema cache yet
    gateway = len(code) == 3 and code.isdigit() and int(code) >= 500  # a non-JSON 5xx body
    database = len(code) == 5 and code[:2] in TRANSIENT_SQLSTATE_CLASSES
    return StoreUnavailable() if unreachable or gateway or database else exc


class SupabaseStore(Store):
    name = "supabase"

    def __init__(self, config: dict, retry_policy: RetryPolicy):
        if not config.get("SUPABASE_URL") or not config.get("SUPABASE_PUBLISHABLE_KEY"):
            raise ConfigError("STORE=supabase needs SUPABASE_URL and SUPABASE_PUBLISHABLE_KEY")
        self.retry_policy = retry_policy
        self.rest_url = config["SUPABASE_URL"].rstrip("/") + REST_PATH
        self.schema = config.get("SUPABASE_SCHEMA") or "api"
        self.publishable_key = config["SUPABASE_PUBLISHABLE_KEY"]
        self.secret_key = config.get("SUPABASE_SECRET_KEY")
        # SUPABASE_HTTP_TRANSPORT is for tests only (set through the app factory): an httpx
        # transport that reaches a bare PostgREST, which serves at / instead of /rest/v1.
        self.http = httpx.Client(
            transport=config.get("SUPABASE_HTTP_TRANSPORT"), timeout=TIMEOUT, limits=LIMITS
        )

    def client(self, token: str, api_key: str | None = None) -> SyncPostgrestClient:
        """A new postgrest-py client on the shared pool; its requests carry `token` only."""
        headers = {
            **DEFAULT_POSTGREST_CLIENT_HEADERS,
            "apikey": api_key or self.publishable_key,
            "Authorization": f"Bearer {token}",
        }
        # retry_enabled=False: failures go to `retry_transient`, the one retry policy.
        return SyncPostgrestClient(
            self.rest_url,
            schema=self.schema,
            headers=headers,
            http_client=self.http,
            retry_enabled=False,
        )

    def for_user(self, identity: Identity) -> SupabaseUserStore:
        return SupabaseUserStore(self, identity)

    @retry_transient(classify, retry=False)  # readiness answers at once
    def ping(self) -> None:
        """Read zero rows as anon: "permission denied" comes from PostgreSQL, so both answered."""
        anon = self.client(self.publishable_key)
        try:
            anon.table("agent_conversations").select("id").limit(0).execute()
        except APIError as exc:
            if exc.code == PERMISSION_DENIED:
                return
            if not isinstance(classify(exc), StoreUnavailable):
                log.warning("store not ready: PostgREST answered %s", exc.code)
            raise StoreUnavailable(f"PostgREST answered {exc.code}") from exc

    @retry_transient(classify)
    def sweep_streaming(self, older_than: str) -> int:
        if not self.secret_key:
            log.warning("SUPABASE_SECRET_KEY is not set: abandoned streaming rows are not swept")
            return 0
        service = self.client(self.secret_key, api_key=self.secret_key)
        response = (
            service.table("agent_messages")
            .update(
                {"status": "interrupted"}, count=CountMethod.exact, returning=ReturnMethod.minimal
            )
            .eq("status", "streaming")
            .lt("updated_at", older_than)
            .execute()
        )
        return response.count or 0

    def maintenance_for(self, user_id: str) -> SupabaseUserStore | None:
        """The user's rows with the secret key, still filtered by `user_id` in every query."""
        if not self.secret_key:
            return None
        return SupabaseUserStore(self, Identity(user_id, self.secret_key), api_key=self.secret_key)

    def close(self) -> None:
        self.http.close()


class SupabaseUserStore(SupabaseAccount, UserStore):
    def __init__(self, store: SupabaseStore, identity: Identity, api_key: str | None = None):
        self.retry_policy = store.retry_policy
        self.user_id = identity.user_id
        self.tables = UserTables(store.client(identity.token, api_key), identity.user_id)

    # The primitives, each one request on the caller's behalf ---------------------------
    @retry_transient(classify)
    def _insert(self, table, values):
        return self.tables.insert(table, values)

    @retry_transient(classify)
    def _get(self, table, row_id):
        return self.tables.get(table, row_id)

    @retry_transient(classify)
    def _update(self, table, row_id, values, where=()):
        return self.tables.update(table, row_id, values, list(where))

    @retry_transient(classify)
    def _delete(self, table, row_id):
        return self.tables.delete(table, row_id)

    # Conversations --------------------------------------------------------------------
    @retry_transient(classify)
    def list_conversations(self, limit, offset, q=None):
        search = Search(("title",), q) if q else None
        order = [("updated_at", True), ("id", True)]
        return self.tables.page("agent_conversations", (), search, order, limit, offset)

    # Messages (the tree itself: store/branches.py) ------------------------------------
    @retry_transient(classify)
    def _message_links(self, conversation_id):
        if not is_uuid(conversation_id):
            return []
        links: list[Link] = []
        while True:  # PostgREST caps one answer at PAGE_ROWS rows
            query = self.tables.select(
                "agent_messages",
                [Filter("conversation_id", "eq", conversation_id)],
                columns="id,parent_id,role",
            )
            query = query.order("created_at").order("id")
            page = query.range(len(links), len(links) + PAGE_ROWS - 1).execute().data
            links += [Link(row["id"], row["parent_id"], row["role"]) for row in page]
            if len(page) < PAGE_ROWS:
                return links

    @retry_transient(classify)
    def _messages_by_id(self, conversation_id, ids):
        if not is_uuid(conversation_id):
            return []
        rows: list[dict] = []
        for start in range(0, len(ids), IDS_PER_REQUEST):
            in_conversation = [
                Filter("conversation_id", "eq", conversation_id),
                Filter("id", "in", ids[start : start + IDS_PER_REQUEST]),
            ]
            query = self.tables.select("agent_messages", in_conversation)
            rows += [decode(row) for row in query.execute().data]
        return rows

    @retry_transient(classify)
    def _add_messages(self, conversation_id, messages):
        if not is_uuid(conversation_id):
            return None
        rows = [
            {
                "id": message.message_id,
                "conversation_id": conversation_id,
                "role": message.role,
                "content": message.content,
                "agent_type": message.agent_type,
                "status": message.status,
                "metadata": message.metadata or {},
                "client_message_id": message.client_message_id,
                "parent_id": message.parent_id,
                "created_at": created_at,
            }
            for message, created_at in zip(messages, times_in_order(len(messages)), strict=True)
        ]
        try:
            return self.tables.insert_many("agent_messages", rows)
        except APIError as exc:
            if violates(exc, PARENT_IN_CONVERSATION, FOREIGN_KEY_VIOLATION):
                raise AppError("MESSAGE_NOT_FOUND") from exc
            # Row-level security refuses a message in someone else's conversation; a
            # conversation deleted meanwhile fails its foreign key. Either way: not the user's.
            if exc.code in (PERMISSION_DENIED, FOREIGN_KEY_VIOLATION):
                return None
            if violates(exc, CLIENT_MESSAGE_INDEX):  # another copy of this send came first
                raise AppError("DUPLICATE_MESSAGE") from exc
            raise

    @retry_transient(classify)
    def find_message_by_client_id(self, client_message_id):
        if not is_uuid(client_message_id):
            return None
        return self.tables.one(
            "agent_messages", [Filter("client_message_id", "eq", client_message_id)]
        )

    @retry_transient(classify)
    def token_usage(self, since):
        rows: list[dict] = []
        while True:  # PostgREST caps one answer at PAGE_ROWS rows
            query = self.tables.select("token_usage", [Filter("created_at", "gte", since)])
            query = query.order("created_at").order("id")
            page = query.range(len(rows), len(rows) + PAGE_ROWS - 1).execute().data
            rows += [decode(row) for row in page]
            if len(page) < PAGE_ROWS:
                return rows

    # Business records -------------------------------------------------------------------
    @retry_transient(classify)
    def _select_records(self, table, filters, search, order_by, descending, limit, offset):
        rows: list[dict] = []
        # PostgREST caps a response (Supabase: 1000 rows), so a large read comes in pages.
        while len(rows) < limit:
            query = self.tables.select(table, filters, search)
            if query is None:
                return []
            # SQLite sorts NULL as the smallest value; PostgreSQL as the largest.
            query = query.order(order_by, desc=descending, nullsfirst=not descending).order("id")
            want = min(limit - len(rows), PAGE_ROWS)
            page = query.limit(want).offset(offset + len(rows)).execute().data
            rows += [decode(row) for row in page]
            if len(page) < want:
                break
        return rows

    @retry_transient(classify)
    def _count_records(self, table, filters, search):
        return self.tables.count(table, filters, search)
