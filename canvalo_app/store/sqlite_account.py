"""The SQLite store's part of `AccountData`: search on FTS5, deleting a table's rows at once.

The FTS5 tables (migrations/sqlite/0010) index every user's text; each query joins them to
the rows they index and keeps the caller's rows only.
"""

from __future__ import annotations

from ..resilience import retry_transient

#: Every hit of the caller's, and each conversation's best (n = 1): its newest matching
#: message, else its title.
_HITS = """
WITH hits AS (
    SELECT m.conversation_id, m.id AS message_id, m.role, m.created_at, m.rowid AS hit,
           0 AS title_hit
      FROM message_search JOIN agent_messages AS m ON m.rowid = message_search.rowid
     WHERE message_search MATCH :match AND m.user_id = :user
    UNION ALL
    SELECT c.id, NULL, NULL, c.updated_at, c.rowid, 1
      FROM conversation_search JOIN agent_conversations AS c ON c.rowid = conversation_search.rowid
     WHERE conversation_search MATCH :match AND c.user_id = :user
),
best AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY conversation_id
                                 ORDER BY title_hit, created_at DESC, hit DESC) AS n
      FROM hits
)
"""
_PAGE = (
    _HITS + "SELECT b.conversation_id, c.title, b.message_id, b.role, b.created_at, b.hit, "
    "b.title_hit FROM best AS b JOIN agent_conversations AS c ON c.id = b.conversation_id "
    "WHERE b.n = 1 ORDER BY b.created_at DESC, b.conversation_id DESC LIMIT :limit OFFSET :offset"
)
_TOTAL = _HITS + "SELECT COUNT(*) FROM best WHERE n = 1"
#: The marked text of hits already found (FTS5's auxiliary functions need the MATCH again).
_SNIPPETS = {
    0: "SELECT rowid, snippet(message_search, 0, '«', '»', '…', 24) FROM message_search "
    "WHERE message_search MATCH ? AND rowid IN ({})",
    1: "SELECT rowid, highlight(conversation_search, 0, '«', '»') FROM conversation_search "
    "WHERE conversation_search MATCH ? AND rowid IN ({})",
}


def fts5_query(words: list[str]) -> str:
    """Every word as an FTS5 string (so nothing in it is syntax), the last also a prefix."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    return " ".join(quoted) + "*"


def classify(exc: Exception) -> Exception:
    """The SQLite store's classification, looked up when a call fails (store/sqlite.py
    imports this module, so it cannot be imported from there at import time)."""
    from .sqlite import classify as sqlite_classify

    return sqlite_classify(exc)


class SQLiteAccount:
    """Mixed into `SQLiteUserStore`."""

    @retry_transient(classify)
    def _search(self, words, limit, offset):
        params = {"match": fts5_query(words), "user": self.user_id}
        total = self._count(_TOTAL, params)
        rows = self._all(_PAGE, {**params, "limit": limit, "offset": offset})
        snippets = self._snippets(params["match"], rows)
        return [
            {
                "conversation_id": row["conversation_id"],
                "title": row["title"],
                "message_id": row["message_id"],
                "role": row["role"],
                "snippet": snippets.get((row["title_hit"], row["hit"]), ""),
                "created_at": row["created_at"],
            }
            for row in rows
        ], total

    def _snippets(self, match: str, rows: list[dict]) -> dict[tuple[int, int], str]:
        """The marked text of each hit of the page, by (title_hit, rowid)."""
        snippets = {}
        for kind, sql in _SNIPPETS.items():
            hits = [row["hit"] for row in rows if row["title_hit"] == kind]
            if hits:
                marks = ", ".join("?" * len(hits))
                found, _ = self.store.run(sql.format(marks), [match, *hits])
                snippets.update({(kind, rowid): text for rowid, text in found})
        return snippets

    @retry_transient(classify)
    def _count_messages_until(self, issued_at):
        return self._count(
            "SELECT COUNT(*) FROM agent_messages AS m "
            "JOIN agent_conversations AS c ON c.id = m.conversation_id "
            "WHERE m.user_id = ? AND c.user_id = ? AND c.created_at <= ?",
            (self.user_id, self.user_id, issued_at),
        )

    @retry_transient(classify)
    def _delete_all(self, table, issued_at):
        return self._change(
            f"DELETE FROM {table} WHERE user_id = ? AND created_at <= ?",
            (self.user_id, issued_at),
        )
