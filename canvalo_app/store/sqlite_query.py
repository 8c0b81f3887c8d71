"""SQL for the SQLite store: rows in and out (JSON columns), and WHERE clauses built from
filters and searches with every value a bound parameter."""

from __future__ import annotations

import json
import sqlite3

from .base import Filter, Search
from .tables import JSON_COLUMNS

_SQL_OPS = {"eq": "=", "neq": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def decode(row: sqlite3.Row | None) -> dict | None:
    """A row as a dict, its JSON columns decoded."""
    if row is None:
        return None
    return {
        key: json.loads(row[key]) if key in JSON_COLUMNS and row[key] is not None else row[key]
        for key in row.keys()  # noqa: SIM118 (iterating a Row yields values)
    }


def encode(values: dict) -> dict:
    """Values to store, their JSON columns encoded."""
    return {
        k: json.dumps(v) if k in JSON_COLUMNS and v is not None else v for k, v in values.items()
    }


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (with ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where_clause(filters: list[Filter], search: Search | None) -> tuple[str, list]:
    """The " AND ..." conditions for `filters` and `search`, and their parameters."""
    clauses, params = [], []
    for column, op, value in filters:
        if op in ("in", "not_in"):
            values = list(value)  # SQLite accepts IN (): nothing is in it, everything not
            negate = "NOT " if op == "not_in" else ""
            clauses.append(f"{column} {negate}IN ({', '.join('?' * len(values))})")
            params.extend(values)
        elif op == "is_null":
            clauses.append(f"{column} IS {'' if value else 'NOT '}NULL")
        else:
            clauses.append(f"{column} {_SQL_OPS[op]} ?")
            params.append(value)
    if search and search.text:
        clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in search.columns) + ")")
        params.extend([like_pattern(search.text)] * len(search.columns))
    return "".join(f" AND {c}" for c in clauses), params
