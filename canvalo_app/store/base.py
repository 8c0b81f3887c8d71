"""The store interface: every read and write the service makes, scoped to one user.

`Store` is the process-wide object kept in ``app.extensions``; ``store.for_user(identity)``
returns a `UserStore` whose every query is limited to that user's rows. Two implementations
exist: SQLite (embedded default) and Supabase (PostgREST with the user's JWT, so row-level
security applies as well as our own filter).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, NamedTuple

from ..errors import AppError
from .account import AccountData
from .annotations import Annotations
from .branches import MessageTree
from .tables import check_columns
from .values import (  # noqa: F401 - the interface's values, importable from here too
    FILTER_OPS,
    Filter,
    Identity,
    NewMessage,
    Search,
    new_id,
    now_iso,
    times_in_order,
)

log = logging.getLogger(__name__)

MESSAGE_FIELDS = frozenset({"content", "status", "agent_type", "metadata"})


def _columns(filters, search: Search | None) -> list[str]:
    return [f.column for f in filters] + list(search.columns if search else ())


class UserStore(MessageTree, Annotations, AccountData, ABC):
    """Every operation of one user. Rows of other users are invisible: get returns None.

    A backend implements four one-row primitives (`_insert`, `_get`, `_update`, `_delete`,
    each limited to the user's rows and wrapped in the retry decorator) and the queries that
    list and count records (`_select_records`, `_count_records`, on columns already checked
    here); everything else is written once, here, on top of them.
    """

    user_id: str

    # The primitives ---------------------------------------------------------------------
    @abstractmethod
    def _insert(self, table: str, values: dict) -> dict:
        """Insert a row owned by the user; return it as stored.

        `values` carries the new row's id, chosen before the first try: a retry of a write
        that committed but whose answer was lost finds that row instead of adding another.
        """

    @abstractmethod
    def _get(self, table: str, row_id: str) -> dict | None: ...

    @abstractmethod
    def _update(
        self, table: str, row_id: str, values: dict, where: list[Filter] = ()
    ) -> dict | None:
        """Change the user's row (if it also matches `where`); None if nothing changed."""

    @abstractmethod
    def _delete(self, table: str, row_id: str) -> bool: ...

    # Conversations -------------------------------------------------------------------
    @abstractmethod
    def list_conversations(
        self, limit: int, offset: int, q: str | None = None
    ) -> tuple[list[dict], int]:
        """The user's conversations, newest activity first, and the total that match."""

    def get_conversation(self, conversation_id: str) -> dict | None:
        return self._get("agent_conversations", conversation_id)

    def delete_conversation(self, conversation_id: str) -> bool:
        return self._delete("agent_conversations", conversation_id)

    # Messages (the tree and its branches: store/branches.py) -------------------------
    @abstractmethod
    def find_message_by_client_id(self, client_message_id: str) -> dict | None: ...

    def record_usage(self, message_id: str, input_tokens: int, output_tokens: int) -> None:
        """Keep an answer's model tokens, once; they outlive its conversation."""
        row = {"id": message_id, "input_tokens": input_tokens, "output_tokens": output_tokens}
        try:
            self._insert("token_usage", row)
        except AppError as error:
            if error.code != "NOT_FOUND":  # NOT_FOUND: that answer's are kept already
                raise

    @abstractmethod
    def token_usage(self, since: str) -> list[dict]:
        """The model tokens of each of the user's answers written at or after `since`
        (created_at, input_tokens, output_tokens), oldest first."""

    def get_message(self, message_id: str) -> dict | None:
        return self._get("agent_messages", message_id)

    def update_message(
        self, message_id: str, *, if_streaming: bool = False, **fields: Any
    ) -> dict | None:
        """Change content, status, agent_type or metadata of one of the user's messages
        (with `if_streaming`, only while it is `streaming`); None if nothing changed."""
        unknown = set(fields) - MESSAGE_FIELDS
        if unknown:
            raise ValueError(f"cannot update message fields {sorted(unknown)}")
        where = [Filter("status", "eq", "streaming")] if if_streaming else []
        return self._update("agent_messages", message_id, fields, where)

    # Business records -------------------------------------------------------------------
    def list_records(
        self,
        table: str,
        *,
        filters: list[Filter] = (),
        search: Search | None = None,
        order_by: str = "created_at",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict]:
        check_columns(table, [*_columns(filters, search), order_by])
        filters = list(filters)
        return self._select_records(table, filters, search, order_by, descending, limit, offset)

    def count_records(
        self, table: str, *, filters: list[Filter] = (), search: Search | None = None
    ) -> int:
        check_columns(table, _columns(filters, search))
        return self._count_records(table, list(filters), search)

    @abstractmethod
    def _select_records(
        self,
        table: str,
        filters: list[Filter],
        search: Search | None,
        order_by: str,
        descending: bool,
        limit: int,
        offset: int,
    ) -> list[dict]:
        """The user's rows of a checked table, filtered, ordered and paged."""

    @abstractmethod
    def _count_records(self, table: str, filters: list[Filter], search: Search | None) -> int:
        """How many of the user's rows of a checked table match."""

    def get_record(self, table: str, record_id: str) -> dict | None:
        check_columns(table, ())
        return self._get(table, record_id)

    writes = 0  #: business-record writes done (see agents.confirmed)

    def create_record(self, table: str, values: dict) -> dict:
        check_columns(table, values)
        row = self._insert(table, {"id": new_id(), **values})
        self.writes += 1
        return row

    def update_record(self, table: str, record_id: str, values: dict) -> dict | None:
        check_columns(table, values)
        row = self._update(table, record_id, values)
        self.writes += row is not None
        return row

    def delete_record(self, table: str, record_id: str) -> bool:
        check_columns(table, ())
        deleted = self._delete(table, record_id)
        self.writes += deleted
        return deleted

    # Pending actions (destructive tool calls awaiting confirmation) ---------------------
    # pending -> executing (confirmed) -> confirmed | failed | pending (a store failure);
    # pending -> cancelled | expired. See api/actions.py.
    def create_action(self, values: dict) -> dict:
        return self._insert("agent_actions", {"id": new_id(), **values})

    def get_action(self, action_id: str) -> dict | None:
        return self._get("agent_actions", action_id)

    def resolve_action(self, action_id: str, status: str, now: str) -> dict | None:
        """Move a pending, unexpired action to `status`, None if it was not: one conditional
        UPDATE, so of two concurrent calls one matches."""
        pending = [Filter("status", "eq", "pending"), Filter("expires_at", "gt", now)]
        return self._update(
            "agent_actions", action_id, {"status": status, "resolved_at": now}, pending
        )

    def transition_action(
        self, action_id: str, from_status: str, to_status: str, **values: Any
    ) -> dict | None:
        """Move the action from `from_status` to `to_status` with `values` (`result`,
        `resolved_at`); None if it was not in `from_status` (one conditional UPDATE)."""
        unknown = set(values) - {"result", "resolved_at"}
        if unknown:
            raise ValueError(f"cannot set action fields {sorted(unknown)}")
        return self._update(
            "agent_actions",
            action_id,
            {"status": to_status, **values},
            [Filter("status", "eq", from_status)],
        )

    def finish_action(self, action_id: str, status: str, result: dict) -> dict | None:
        return self._update("agent_actions", action_id, {"status": status, "result": result})


class StreamingText(NamedTuple):
    """The text so far of one streaming assistant row, and its user's store."""

    store: UserStore
    message_id: str
    content: str


class Store(ABC):
    """The process-wide store: hands out per-user stores and runs maintenance."""

    name: str

    @abstractmethod
    def for_user(self, identity: Identity) -> UserStore: ...

    @abstractmethod
    def ping(self) -> None:
        """Raise `StoreUnavailable` if the store cannot be reached."""

    @abstractmethod
    def sweep_streaming(self, older_than: str) -> int:
        """Mark messages left `streaming` since before `older_than` as `interrupted`."""

    def save_streaming_text(self, batch: list[StreamingText]) -> list[str]:
        """Save the text so far of rows still `streaming`; the ids dealt with. One write per
        row, with its user's own store (row-level security applies); a failed one waits."""
        done = []
        for item in batch:
            try:
                item.store.update_message(item.message_id, if_streaming=True, content=item.content)
            except AppError as error:
                log.warning("could not save message %s: %s", item.message_id, error.code)
                continue
            done.append(item.message_id)
        return done

    @abstractmethod
    def maintenance_for(self, user_id: str) -> UserStore | None:
        """`user_id`'s rows through the maintenance credentials (None without them).

        For maintenance jobs only (engine/sweep.py), never for tools or user requests.
        """

    def init_schema(self) -> list[str]:
        """Migrate if the store manages its own schema (SQLite); the migrations applied."""
        return []

    def close(self) -> None:
        """Release connections."""
