"""All of one user's data at once: search, export and deleting everything.

Written once on the store's primitives; each backend adds only its search query and its
delete-every-row-of-a-table (store/sqlite_account.py, store/supabase_account.py).
"""

from __future__ import annotations

import re

from .tables import BUSINESS_TABLES
from .values import Filter

#: A search is the words of the query (letters, digits), at most this many.
MAX_SEARCH_WORDS = 16
_WORD = re.compile(r"[^\W_]+")

#: Business tables in an order that deletes every row a foreign key points at after the rows
#: pointing at it: payments reference invoices. (The others reference nothing.)
BUSINESS_DELETE_ORDER = ("payments", *(t for t in BUSINESS_TABLES if t != "payments"))

#: More messages than any export reads; the backends page through them.
ALL_ROWS = 1_000_000_000


def search_words(text: str) -> list[str]:
    """The words a search looks for. Everything else (quotes, `*`, `-`, `:`, operators) is a
    separator, so no user text is ever query syntax for FTS5 or PostgreSQL."""
    return _WORD.findall(text.lower())[:MAX_SEARCH_WORDS]


class AccountData:
    """Mixed into `UserStore`: the user's data as a whole, on the store's primitives."""

    # Search -------------------------------------------------------------------------------
    def search_conversations(self, q: str, limit: int, offset: int) -> tuple[list[dict], int]:
        """The user's conversations whose title or messages hold every word of `q` (the last
        also as a prefix), newest match first, and how many match. One hit per conversation
        (conversation_id, title, message_id, role, snippet, created_at): its newest matching
        message, else its title (message_id and role None). The snippet marks each match
        «like this»."""
        words = search_words(q)
        if not words:
            return [], 0
        return self._search(words, limit, offset)

    def _search(self, words: list[str], limit: int, offset: int) -> tuple[list[dict], int]:
        """The backend's full-text query for `search_conversations`."""
        raise NotImplementedError

    # Export -------------------------------------------------------------------------------
    def messages_of(self, conversation_ids: list[str]) -> dict[str, list[dict]]:
        """Every message of each conversation, every version of it (a branch's alternatives
        too), oldest first."""
        found: dict[str, list[dict]] = {cid: [] for cid in conversation_ids}
        if not conversation_ids:
            return found
        in_them = [Filter("conversation_id", "in", list(conversation_ids))]
        for row in self._select_records(
            "agent_messages", in_them, None, "created_at", False, ALL_ROWS, 0
        ):
            found[row["conversation_id"]].append(row)
        return found

    # Deleting everything ------------------------------------------------------------------
    def conversation_ids_until(self, issued_at: str) -> list[str]:
        """The ids of the conversations `delete_all_data(…, issued_at)` would delete."""
        until = [Filter("created_at", "lte", issued_at)]
        rows = self._select_records(
            "agent_conversations", until, None, "created_at", False, ALL_ROWS, 0
        )
        return [row["id"] for row in rows]

    def data_counts(self, include_business: bool) -> dict:
        """How many rows of each kind `delete_all_data` would delete now."""
        return {
            "conversations": self._count_records("agent_conversations", [], None),
            "messages": self._count_records("agent_messages", [], None),
            "actions": self._count_records("agent_actions", [], None),
            "business_records": {
                table: self._count_records(table, [], None)
                for table in (BUSINESS_DELETE_ORDER if include_business else ())
            },
        }

    def delete_all_data(self, include_business: bool, issued_at: str) -> dict:
        """Delete what the user had created at or before `issued_at` (a confirmation's issue):
        their conversations with all their messages, their actions and (only if asked) their
        business records; how many rows of each kind went. What came later stays, so using
        the same confirmation again deletes nothing new.

        The token_usage ledger stays: it backs the monthly quota, which deleting data must
        not reset.
        """
        messages = self._count_messages_until(issued_at)  # they go with their conversations
        actions = self._delete_all("agent_actions", issued_at)  # (a foreign key cascade)
        return {
            "conversations": self._delete_all("agent_conversations", issued_at),
            "messages": messages,
            "actions": actions,
            "business_records": {
                table: self._delete_all(table, issued_at)
                for table in (BUSINESS_DELETE_ORDER if include_business else ())
            },
        }

    def _count_messages_until(self, issued_at: str) -> int:
        """How many messages the user's conversations created at or before `issued_at` hold
        (the later messages of those too)."""
        raise NotImplementedError

    def _delete_all(self, table: str, issued_at: str) -> int:
        """Delete every row of the user's in `table` created at or before `issued_at`; how
        many went."""
        raise NotImplementedError
