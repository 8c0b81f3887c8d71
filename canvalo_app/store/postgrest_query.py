"""The store's filters and searches as PostgREST query parameters, and its rows as ours.

Filter values and search text come from users and the model, so none of them may change the
shape of a query. A value reaches PostgREST in one of two places only:

* the whole remainder of a plain ``column=op.value`` parameter, which PostgREST reads
  literally (commas, parentheses and quotes included), or
* inside ``in.(…)`` lists and ``or=(…)`` trees, where ``,`` ``(`` ``)`` and ``"`` are syntax:
  there every value is double-quoted with ``\\`` and ``"`` escaped (`quote`).

A search is a case-insensitive regular-expression match (``imatch``, PostgreSQL's ``~*``) whose
pattern starts with ``***=``: PostgreSQL then takes the rest of the pattern as a literal string
(see "Regular Expression Metasyntax" in its manual). So ``%``, ``_``, ``*``, ``\\`` and every
regex character in the text match themselves. (``ilike`` cannot do this: PostgREST turns every
``*`` in a like pattern into ``%``, so a literal ``*`` cannot be written.)

`UserTables` runs the queries of one user: every one filters on that user's id, on top of the
row-level security the user's token brings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from postgrest import APIError, CountMethod, ReturnMethod, SyncPostgrestClient

from ..errors import AppError
from .base import FILTER_OPS, Filter, Search, now_iso
from .tables import TIMESTAMP_COLUMNS

Query = TypeVar("Query")  # a postgrest-py filter builder
PAST_THE_END = "PGRST103"  # an offset beyond the last row, when counting

# PostgREST renders timestamptz in the session's time zone with trailing zeros dropped; rows
# carry them in UTC as Python's `isoformat()` writes them (as `now_iso()` and the tools do),
# so a value reads back as it was written.

UNIQUE_VIOLATION = "23505"


def violates(exc: APIError, constraint: str, code: str = UNIQUE_VIOLATION) -> bool:
    """Whether PostgreSQL refused the write for `constraint` (by default: a duplicate key)."""
    return exc.code == code and f'"{constraint}"' in (exc.message or "")


def quote(value: str) -> str:
    """`value` as a double-quoted PostgREST list or logic-tree element."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(value: Any) -> str:
    """A filter value as PostgREST reads it: booleans as true/false, the rest as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_uuid(value: Any) -> bool:
    """Whether `value` is an id as the store writes them (PostgreSQL refuses non-uuids, and
    SQLite, comparing text, would match no other spelling)."""
    try:
        return str(uuid.UUID(str(value))) == str(value)
    except ValueError:
        return False


def narrow(query: Query, filters: Iterable[Filter], search: Search | None) -> Query | None:
    """`query` with `filters` and `search` added, or None when no row can match.

    NULL follows SQL, as in the SQLite store: a comparison with None matches nothing, None in
    an ``in`` list never matches, and a ``not_in`` list holding None excludes every row.
    """
    for column, op, value in filters:
        if op not in FILTER_OPS:
            raise ValueError(f"unknown filter operator {op!r}")
        if op in ("in", "not_in"):
            values = list(value)
            if None in values and op == "not_in":
                return None
            items = ",".join(quote(literal(v)) for v in values if v is not None)
            query = query.filter(column, "in" if op == "in" else "not.in", f"({items})")
        elif op == "is_null":
            query = query.filter(column, "is" if value else "not.is", "null")
        elif value is None:
            return None
        else:
            query = query.filter(column, op, literal(value))
    if search and search.text:
        pattern = quote("***=" + search.text)
        query = query.or_(",".join(f"{column}.imatch.{pattern}" for column in search.columns))
    return query


def decode(row: dict) -> dict:
    """A PostgREST row as the store returns rows: timestamps as UTC ISO 8601."""
    return {
        key: _utc(value) if key in TIMESTAMP_COLUMNS and value is not None else value
        for key, value in row.items()
    }


def _utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


class UserTables:
    """One user's rows, read and written through a postgrest-py client carrying their token."""

    def __init__(self, rest: SyncPostgrestClient, user_id: str):
        self.rest = rest
        self.user_id = user_id

    def select(
        self,
        table: str,
        filters=(),
        search=None,
        count: CountMethod | None = None,
        columns: str = "*",
    ):
        """A query for the user's rows of `table` that match, or None when none can."""
        query = self.rest.table(table).select(columns, count=count).eq("user_id", self.user_id)
        return narrow(query, filters, search)

    def one(self, table: str, filters: list[Filter]) -> dict | None:
        query = self.select(table, filters)
        rows = query.limit(1).execute().data if query is not None else []
        return decode(rows[0]) if rows else None

    def count(self, table: str, filters=(), search=None) -> int:
        query = self.select(table, filters, search, CountMethod.exact)
        return query.limit(0).execute().count if query is not None else 0

    def page(self, table, filters, search, order, limit, offset) -> tuple[list[dict], int]:
        """A page of matching rows in `order` ((column, descending) pairs) and their total."""
        query = self.select(table, filters, search, CountMethod.exact)
        if query is None:
            return [], 0
        for column, descending in order:
            query = query.order(column, desc=descending)
        try:
            response = query.limit(limit).offset(offset).execute()
        except APIError as exc:
            if exc.code != PAST_THE_END:
                raise
            return [], self.count(table, filters, search)
        return [decode(row) for row in response.data], response.count

    def get(self, table: str, row_id: str) -> dict | None:
        return self.one(table, [Filter("id", "eq", row_id)]) if is_uuid(row_id) else None

    def insert(self, table: str, values: dict) -> dict:
        return self.insert_many(table, [values])[0]

    def insert_many(self, table: str, rows: list[dict]) -> list[dict]:
        """Insert rows with the same columns in one request: all of them, or none."""
        rows = [{**values, "user_id": self.user_id} for values in rows]
        try:
            return [decode(row) for row in self.rest.table(table).insert(rows).execute().data]
        except APIError as exc:
            # The same ids again: an earlier try committed and only its answer was lost.
            retried = exc.code == UNIQUE_VIOLATION and all("id" in row for row in rows)
            existing = [self.get(table, row["id"]) for row in rows] if retried else [None]
            if None in existing:
                if violates(exc, f"{table}_pkey"):  # an id another user's row holds
                    raise AppError("NOT_FOUND") from exc
                raise
            return existing

    def update(self, table: str, row_id: str, values: dict, where=()) -> dict | None:
        """Change the user's row `row_id` if it also matches `where`; None if nothing did."""
        if not is_uuid(row_id):
            return None
        # Never an empty update (PostgREST would change nothing and return no row); a trigger
        # sets the real updated_at.
        query = self.rest.table(table).update({**values, "updated_at": now_iso()})
        query = narrow(query.eq("id", row_id).eq("user_id", self.user_id), where, None)
        rows = query.execute().data if query is not None else []
        return decode(rows[0]) if rows else None

    def delete(self, table: str, row_id: str) -> bool:
        if not is_uuid(row_id):
            return False
        query = self.rest.table(table).delete(
            count=CountMethod.exact, returning=ReturnMethod.minimal
        )
        return bool(query.eq("id", row_id).eq("user_id", self.user_id).execute().count)
