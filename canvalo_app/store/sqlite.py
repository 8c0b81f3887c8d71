"""The embedded store: one SQLite file, every query filtered by the caller's user id."""

from __future__ import annotations

import json
import sqlite3

from ..errors import AppError, StoreUnavailable
from ..resilience import RetryPolicy, retry_transient
from .base import (
    Identity,
    Search,
    Store,
    StreamingText,
    UserStore,
    new_id,
    now_iso,
    times_in_order,
)
from .branches import Link
from .migrate import upgrade_sqlite
from .sqlite_account import SQLiteAccount
from .sqlite_db import LOCK_WAIT_SECONDS, SQLiteConnections
from .sqlite_query import decode, encode, where_clause

#: How SQLite names the unique index on (user_id, client_message_id) when it refuses a row.
CLIENT_MESSAGE_TAKEN = "agent_messages.user_id, agent_messages.client_message_id"
#: How the trigger of migrations/sqlite/0008 refuses a parent from another conversation.
PARENT_ELSEWHERE = "parent_id is not a message of this conversation"
#: Ids bound in one IN list (SQLite's limit on parameters is far above this).
IDS_PER_QUERY = 500


def classify(exc: Exception) -> Exception:
    """Locked, missing or unreadable database files are outages; anything else is a defect."""
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and not isinstance(
        exc, sqlite3.IntegrityError | sqlite3.ProgrammingError
    ):
        return StoreUnavailable()
    return exc


class SQLiteStore(SQLiteConnections, Store):
    name = "sqlite"

    def __init__(self, path: str, retry_policy: RetryPolicy, lock_wait: float = LOCK_WAIT_SECONDS):
        super().__init__(path, lock_wait)
        self.retry_policy = retry_policy

    def init_schema(self) -> list[str]:
        """Apply the migrations the file has not recorded (`flask db upgrade` does the same);
        the names of those applied now."""
        return upgrade_sqlite(self.path).applied  # safe when several workers start at once

    def for_user(self, identity: Identity) -> SQLiteUserStore:
        return SQLiteUserStore(self, identity.user_id)

    @retry_transient(classify, retry=False)  # readiness answers at once
    def ping(self) -> None:
        self.run("SELECT 1 FROM agent_conversations LIMIT 1")

    @retry_transient(classify)
    def sweep_streaming(self, older_than: str) -> int:
        return self.run(
            "UPDATE agent_messages SET status = 'interrupted', updated_at = ? "
            "WHERE status = 'streaming' AND updated_at < ?",
            (now_iso(), older_than),
        )[1]

    @retry_transient(classify)
    def save_streaming_text(self, batch: list[StreamingText]) -> list[str]:
        """Every row of the batch in one transaction."""
        now = now_iso()
        rows = [(item.content, now, item.message_id, item.store.user_id) for item in batch]
        self.transaction(
            lambda conn: conn.executemany(
                "UPDATE agent_messages SET content = ?, updated_at = ? "
                "WHERE id = ? AND user_id = ? AND status = 'streaming'",
                rows,
            )
        )
        return [item.message_id for item in batch]

    def maintenance_for(self, user_id: str) -> SQLiteUserStore:
        return SQLiteUserStore(self, user_id)


class SQLiteUserStore(SQLiteAccount, UserStore):
    def __init__(self, store: SQLiteStore, user_id: str):
        self.store = store
        self.retry_policy = store.retry_policy
        self.user_id = user_id

    def _one(self, sql: str, params=()) -> dict | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _all(self, sql: str, params=()) -> list[dict]:
        return [decode(r) for r in self.store.run(sql, params)[0]]

    def _count(self, sql: str, params=()) -> int:
        return self.store.run(sql, params)[0][0][0]

    def _change(self, sql: str, params=()) -> int:
        return self.store.run(sql, params)[1]

    @retry_transient(classify)
    def _insert(self, table: str, values: dict) -> dict:
        now = now_iso()
        row = {
            "id": new_id(),
            "created_at": now,
            "updated_at": now,
            **encode(values),
            "user_id": self.user_id,
        }
        columns = ", ".join(row)
        try:
            return self._one(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))}) RETURNING *",
                list(row.values()),
            )
        except sqlite3.IntegrityError as exc:
            if str(exc) == f"UNIQUE constraint failed: {table}.id":  # another user's row
                raise AppError("NOT_FOUND") from exc
            raise

    @retry_transient(classify)
    def _update(self, table: str, row_id: str, values: dict, where=()) -> dict | None:
        values = {**encode(values), "updated_at": now_iso()}
        assignments = ", ".join(f"{column} = ?" for column in values)
        condition, params = where_clause(list(where), None)
        return self._one(
            f"UPDATE {table} SET {assignments} WHERE id = ? AND user_id = ?{condition} RETURNING *",
            [*values.values(), row_id, self.user_id, *params],
        )

    @retry_transient(classify)
    def _get(self, table: str, row_id: str) -> dict | None:
        return self._one(
            f"SELECT * FROM {table} WHERE id = ? AND user_id = ?", (row_id, self.user_id)
        )

    @retry_transient(classify)
    def _delete(self, table: str, row_id: str) -> bool:
        sql = f"DELETE FROM {table} WHERE id = ? AND user_id = ?"
        return self._change(sql, (row_id, self.user_id)) > 0

    # Conversations --------------------------------------------------------------------
    @retry_transient(classify)
    def list_conversations(self, limit, offset, q=None):
        where, params = where_clause([], Search(("title",), q) if q else None)
        base = f"FROM agent_conversations WHERE user_id = ?{where}"
        total = self._count(f"SELECT COUNT(*) {base}", [self.user_id, *params])
        rows = self._all(
            f"SELECT * {base} ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
            [self.user_id, *params, limit, offset],
        )
        return rows, total

    # Messages (the tree itself: store/branches.py) ------------------------------------
    @retry_transient(classify)
    def _message_links(self, conversation_id):
        rows = self.store.run(
            "SELECT id, parent_id, role FROM agent_messages "
            "WHERE conversation_id = ? AND user_id = ? ORDER BY created_at, rowid",
            (conversation_id, self.user_id),
        )[0]
        return [Link(row["id"], row["parent_id"], row["role"]) for row in rows]

    @retry_transient(classify)
    def _messages_by_id(self, conversation_id, ids):
        rows = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            rows += self._all(
                "SELECT * FROM agent_messages WHERE conversation_id = ? AND user_id = ? "
                f"AND id IN ({', '.join('?' * len(chunk))})",
                [conversation_id, self.user_id, *chunk],
            )
        return rows

    @retry_transient(classify)
    def _add_messages(self, conversation_id, messages):
        times = times_in_order(len(messages))

        def insert(conn: sqlite3.Connection) -> list[dict] | None:
            rows = []
            for message, now in zip(messages, times, strict=True):
                row = conn.execute(
                    "INSERT INTO agent_messages (id, conversation_id, user_id, role, content, "
                    "agent_type, status, metadata, client_message_id, parent_id, created_at, "
                    "updated_at) SELECT ?, id, user_id, ?, ?, ?, ?, ?, ?, ?, ?, ? "
                    "FROM agent_conversations WHERE id = ? AND user_id = ? RETURNING *",
                    (
                        message.message_id,
                        message.role,
                        message.content,
                        message.agent_type,
                        message.status,
                        json.dumps(message.metadata or {}),
                        message.client_message_id,
                        message.parent_id,
                        now,
                        now,
                        conversation_id,
                        self.user_id,
                    ),
                ).fetchone()
                if row is None:  # not the user's conversation: nothing was added
                    return None
                rows.append(decode(row))
            return rows

        try:
            return self.store.transaction(insert)
        except sqlite3.IntegrityError as exc:
            if CLIENT_MESSAGE_TAKEN in str(exc):  # another copy of this send was stored first
                raise AppError("DUPLICATE_MESSAGE") from exc
            if PARENT_ELSEWHERE in str(exc):  # migrations/sqlite/0008's trigger
                raise AppError("MESSAGE_NOT_FOUND") from exc
            raise

    @retry_transient(classify)
    def token_usage(self, since):
        return self._all(
            "SELECT created_at, input_tokens, output_tokens FROM token_usage "
            "WHERE user_id = ? AND created_at >= ? ORDER BY created_at",
            (self.user_id, since),
        )

    @retry_transient(classify)
    def find_message_by_client_id(self, client_message_id):
        return self._one(
            "SELECT * FROM agent_messages WHERE user_id = ? AND client_message_id = ?",
            (self.user_id, client_message_id),
        )

    # Business records -------------------------------------------------------------------
    @retry_transient(classify)
    def _select_records(self, table, filters, search, order_by, descending, limit, offset):
        where, params = where_clause(filters, search)
        direction = "DESC" if descending else "ASC"
        return self._all(
            f"SELECT * FROM {table} WHERE user_id = ?{where} "
            f"ORDER BY {order_by} {direction}, id LIMIT ? OFFSET ?",
            [self.user_id, *params, limit, offset],
        )

    @retry_transient(classify)
    def _count_records(self, table, filters, search):
        where, params = where_clause(filters, search)
        return self._count(
            f"SELECT COUNT(*) FROM {table} WHERE user_id = ?{where}", [self.user_id, *params]
        )
