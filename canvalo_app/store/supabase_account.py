"""The Supabase store's part of `AccountData`: search through PostgreSQL full-text search
(the RPC `api.search_conversations`, migrations/0010), deleting a table's rows at once.
Both run with the user's token: what they read and delete, row-level security allows."""

from __future__ import annotations

from postgrest import CountMethod, ReturnMethod

from ..resilience import retry_transient
from .postgrest_query import decode

HIT_FIELDS = ("conversation_id", "title", "message_id", "role", "snippet", "created_at")


def classify(exc: Exception) -> Exception:
    """The Supabase store's classification, looked up when a call fails (store/supabase.py
    imports this module, so it cannot be imported from there at import time)."""
    from .supabase import classify as supabase_classify

    return supabase_classify(exc)


class SupabaseAccount:
    """Mixed into `SupabaseUserStore`."""

    def _search_rows(self, query: str, limit: int, offset: int) -> list[dict]:
        params = {"query": query, "max_rows": limit, "skip": offset}
        return self.tables.rest.rpc("search_conversations", params, get=True).execute().data

    @retry_transient(classify)
    def _search(self, words, limit, offset):
        # The words only: the function builds its query from them (any text is safe there).
        query = " ".join(words)
        rows = self._search_rows(query, limit, offset)
        if rows:
            total = rows[0]["total"]
        elif offset:  # past the last hit: the total comes with the first one
            first = self._search_rows(query, 1, 0)
            total = first[0]["total"] if first else 0
        else:
            total = 0
        hits = [{field: row[field] for field in HIT_FIELDS} for row in rows]
        return [decode(hit) for hit in hits], total

    @retry_transient(classify)
    def _count_messages_until(self, issued_at):
        # Counted through the conversation each message belongs to (an inner embed).
        query = self.tables.rest.table("agent_messages").select(
            "id, agent_conversations!inner(created_at)", count=CountMethod.exact, head=True
        )
        query = query.eq("user_id", self.user_id)
        return query.lte("agent_conversations.created_at", issued_at).execute().count or 0

    @retry_transient(classify)
    def _delete_all(self, table, issued_at):
        query = self.tables.rest.table(table).delete(
            count=CountMethod.exact, returning=ReturnMethod.minimal
        )
        query = query.eq("user_id", self.user_id).lte("created_at", issued_at)
        return query.execute().count or 0
