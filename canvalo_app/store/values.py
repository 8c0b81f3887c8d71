"""The values the store interface takes and gives: filters, searches, the caller's
identity, new messages, ids and times."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple

#: ``is_null`` takes True (the column is NULL) or False (it is not).
FILTER_OPS = frozenset({"eq", "neq", "lt", "lte", "gt", "gte", "in", "not_in", "is_null"})


class Filter(NamedTuple):
    """One condition on a column: ``Filter("status", "in", ["sent", "overdue"])``."""

    column: str
    op: str
    value: Any


class Search(NamedTuple):
    """Case-insensitive substring match of `text` in any of `columns`."""

    columns: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Identity:
    """The verified caller: the token's `sub` and the raw token (for row-level security)."""

    user_id: str
    token: str


def now_iso() -> str:
    """The current time as ISO 8601 with a UTC offset, the form every row stores."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def times_in_order(count: int) -> list[str]:
    """`count` instants from now, a microsecond apart: messages added in one write keep
    their order when sorted by `created_at`."""
    now = datetime.now(UTC)
    return [
        (now + timedelta(microseconds=n)).isoformat(timespec="microseconds") for n in range(count)
    ]


def new_id() -> str:
    return str(uuid.uuid4())


class Follow(Enum):
    """Where `add_messages` puts a new message when no parent is named."""

    ACTIVE_LEAF = "the last message of the active branch"


#: The default place of a new message: after the last message of the active branch.
ACTIVE_LEAF = Follow.ACTIVE_LEAF


class NewMessage(NamedTuple):
    """A message to add. Its id may be chosen by the caller, so that a write retried after
    its answer was lost cannot store it twice. `parent_id` (the message it follows; None
    for the first message of a conversation) is set by `add_messages`."""

    role: str
    content: str
    status: str = "complete"
    agent_type: str | None = None
    metadata: dict | None = None
    client_message_id: str | None = None
    message_id: str | None = None
    parent_id: str | None = None
