"""The two copies of the schema agree once migrated: the SQLite migrations
(migrations/sqlite/) and the Supabase migrations (migrations/*.sql, applied to the test
PostgreSQL) give the same tables, schema_migrations included, each table the same columns,
each column as required (NOT NULL) in both and of the same kind of value, and the same
allowed values wherever a column is checked against a list."""

from __future__ import annotations

import re
import sqlite3

from canvalo_app.resilience import RetryPolicy
from canvalo_app.store.sqlite import SQLiteStore

#: PostgreSQL types by the kind of value SQLite keeps them as.
KINDS = {
    "TEXT": {"text", "uuid", "date", "timestamp with time zone", "jsonb", "time without time zone"},
    "INTEGER": {"integer", "bigint", "smallint", "boolean"},
    "REAL": {"numeric", "double precision", "real"},
}


def migrated_sqlite(tmp_path):
    path = tmp_path / "schema.sqlite3"
    store = SQLiteStore(str(path), RetryPolicy())
    store.init_schema()
    store.close()
    return path


def sqlite_columns(tmp_path) -> dict[str, dict[str, tuple[str, bool]]]:
    with sqlite3.connect(migrated_sqlite(tmp_path)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        # The full-text search tables (migrations/sqlite/0010) and their shadow tables hold an
        # index, not data: PostgreSQL keeps the same index as GIN indexes.
        searches = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
            )
        ]
        tables = [t for t in tables if not any(t.startswith(s) for s in searches)]
        return {
            table: {
                row[1]: (row[2].upper(), bool(row[3]) or bool(row[5]))
                for row in conn.execute(f"PRAGMA table_info({table})")
            }
            for table in tables
        }


def postgres_columns(stack) -> dict[str, dict[str, tuple[str, bool]]]:
    rows = stack.psql(
        "select table_name, column_name, data_type, is_nullable from information_schema.columns "
        "where table_schema = 'api' "
        "or (table_schema = 'public' and table_name = 'schema_migrations') "
        "order by table_name, ordinal_position"
    )
    tables: dict[str, dict[str, tuple[str, bool]]] = {}
    for line in rows.splitlines():
        table, column, data_type, nullable = line.split("|")
        tables.setdefault(table, {})[column] = (data_type, nullable == "NO")
    return tables


def test_sqlite_and_postgres_have_the_same_tables_and_columns(tmp_path, pgstack):
    lite, postgres = sqlite_columns(tmp_path), postgres_columns(pgstack)
    assert sorted(lite) == sorted(postgres)
    for table in lite:
        assert list(lite[table]) == list(postgres[table]), table
        for column, (kind, required) in lite[table].items():
            data_type, pg_required = postgres[table][column]
            assert data_type in KINDS[kind], (table, column, kind, data_type)
            assert required == pg_required, (table, column, "NOT NULL")


def sqlite_value_lists(tmp_path) -> dict[tuple[str, str], list[str]]:
    """(table, column) -> the values a `column IN (...)` check allows."""
    with sqlite3.connect(migrated_sqlite(tmp_path)) as conn:
        tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        return {
            (table, column): re.findall(r"'([^']*)'", values)
            for table, sql in tables
            for column, values in re.findall(r"(\w+) IN \(([^)]*)\)", sql)
        }


def postgres_value_lists(stack) -> dict[tuple[str, str], list[str]]:
    """The same from PostgreSQL, which keeps `column in (...)` as `column = ANY (ARRAY[...])`."""
    rows = stack.psql(
        "select conrelid::regclass, pg_get_constraintdef(oid) from pg_constraint "
        "where contype = 'c' and connamespace = 'api'::regnamespace"
    )
    found = {}
    for line in rows.splitlines():
        table, definition = line.split("|")
        for column, values in re.findall(r"\((\w+) = ANY \(ARRAY\[(.*?)\]\)", definition):
            found[(table.removeprefix("api."), column)] = re.findall(r"'([^']*)'", values)
    return found


def test_sqlite_and_postgres_allow_the_same_values(tmp_path, pgstack):
    lite, postgres = sqlite_value_lists(tmp_path), postgres_value_lists(pgstack)
    assert ("agent_actions", "status") in lite and len(lite) > 10
    assert lite == postgres
    assert "executing" in lite[("agent_actions", "status")]
