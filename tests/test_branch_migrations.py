"""Migration 0008 (message branches) on a real SQLite file and a real PostgreSQL holding
conversations from before it: each becomes one branch, in the order it was written, with
its newest message as the leaf; new messages then become the leaf in their own insert, and
a parent from another conversation is refused."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from canvalo_app.store import migrate
from tests.conftest import USER_A

ROOT = Path(__file__).resolve().parent.parent
BRANCHES = "0008"
TIMES = [f"2026-11-23T09:00:0{n}.000000+00:00" for n in range(4)]


def ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def old_rows(prefix: str, conversations: list[str], messages: list[str]) -> str:
    """Two conversations written before 0008: the first with four messages, inserted out of
    order (the second message first), the second with none."""
    rows = ", ".join(
        f"('{message}', '{conversations[0]}', '{USER_A}', "
        f"'{'user' if n % 2 == 0 else 'assistant'}', 'm{n}', '{TIMES[n]}', '{TIMES[n]}')"
        for n, message in sorted(enumerate(messages), key=lambda pair: pair[0] != 1)
    )
    return f"""
        INSERT INTO {prefix}agent_conversations (id, user_id, title, created_at, updated_at)
        VALUES ('{conversations[0]}', '{USER_A}', 'Old', '{TIMES[0]}', '{TIMES[0]}'),
               ('{conversations[1]}', '{USER_A}', 'Empty', '{TIMES[0]}', '{TIMES[0]}');
        INSERT INTO {prefix}agent_messages
               (id, conversation_id, user_id, role, content, created_at, updated_at)
        VALUES {rows};
    """


def check(run, prefix: str, conversations: list[str], messages: list[str], error) -> None:
    """The backfill, then a new message, then a parent from elsewhere, with `run` (sql ->
    rows) on either database."""
    parents = dict(run(f"SELECT id, parent_id FROM {prefix}agent_messages"))
    assert [parents[m] for m in messages] == [None, *messages[:-1]]
    leaves = dict(run(f"SELECT id, active_leaf_id FROM {prefix}agent_conversations"))
    assert leaves == {conversations[0]: messages[-1], conversations[1]: None}
    newer, stray = ids(2)
    run(
        f"INSERT INTO {prefix}agent_messages (id, conversation_id, user_id, role, parent_id, "
        f"created_at, updated_at) VALUES ('{newer}', '{conversations[0]}', '{USER_A}', 'user', "
        f"'{messages[1]}', '{TIMES[3]}', '{TIMES[3]}')"
    )
    leaves = dict(run(f"SELECT id, active_leaf_id FROM {prefix}agent_conversations"))
    assert leaves[conversations[0]] == newer  # in the same insert
    with pytest.raises(error):
        run(
            f"INSERT INTO {prefix}agent_messages (id, conversation_id, user_id, role, "
            f"parent_id, created_at, updated_at) VALUES ('{stray}', '{conversations[1]}', "
            f"'{USER_A}', 'user', '{messages[0]}', '{TIMES[3]}', '{TIMES[3]}')"
        )


def test_sqlite_conversations_from_before_become_one_branch(tmp_path):
    path = tmp_path / "old.sqlite3"
    conversations, messages = ids(2), ids(4)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT)")
        for migration in migrate.discover(migrate.SQLITE_MIGRATIONS):
            if int(migration.version) < int(BRANCHES):
                conn.executescript(migration.path.read_text())
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, 'then')", (migration.version,)
                )
        conn.executescript(old_rows("", conversations, messages))
        listed = "SELECT id, updated_at FROM agent_conversations ORDER BY id"
        before = conn.execute(listed).fetchall()
    assert f"{BRANCHES}_message_branches.sql" in migrate.upgrade_sqlite(str(path)).applied
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute(listed).fetchall() == before  # their places in the list kept
        check(
            lambda sql: conn.execute(sql).fetchall(),
            "",
            conversations,
            messages,
            sqlite3.IntegrityError,
        )


@pytest.fixture
def old_database(pgstack):
    """A new database on the test server, migrated up to the one before 0008."""
    name = f"branches_{uuid.uuid4().hex[:12]}"
    url = pgstack.create_database(name)
    with psycopg.connect(url, autocommit=True) as conn:
        for path in sorted((ROOT / "migrations").glob("*.sql")):
            if int(path.name.split("_", 1)[0]) < int(BRANCHES):
                conn.execute(path.read_text())
    yield url
    pgstack.drop_database(name)


def test_postgres_conversations_from_before_become_one_branch(old_database):
    conversations, messages = ids(2), ids(4)
    later = sorted(p for p in (ROOT / "migrations").glob("*.sql") if p.name >= BRANCHES)
    with psycopg.connect(old_database, autocommit=True) as conn:
        conn.execute(old_rows("api.", conversations, messages))
        listed = "select id, updated_at from api.agent_conversations order by id"
        before = conn.execute(listed).fetchall()
        for path in [later[0], *later]:  # 0008 twice: a second run changes nothing
            conn.execute(path.read_text())
        assert conn.execute(listed).fetchall() == before  # their places in the list kept

        def run(sql: str) -> list[tuple]:
            cursor = conn.execute(sql)
            rows = cursor.fetchall() if cursor.description else []
            return [tuple(str(v) if isinstance(v, uuid.UUID) else v for v in row) for row in rows]

        check(run, "api.", conversations, messages, psycopg.errors.ForeignKeyViolation)
