"""`flask db upgrade` (canvalo_app/store/migrate.py) on a real SQLite file and on a real
PostgreSQL: migrations applied in order, each recorded in schema_migrations, none twice."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from canvalo_app.store import migrate
from tests.conftest import USER_A, supabase_overrides

ROOT = Path(__file__).resolve().parent.parent
SQLITE_FILES = sorted(path.name for path in (ROOT / "migrations" / "sqlite").glob("*.sql"))
POSTGRES_FILES = sorted(path.name for path in (ROOT / "migrations").glob("*.sql"))
CONVERSATION, ACTION = str(uuid.uuid4()), str(uuid.uuid4())
NOW = "2026-11-23T09:00:00.000000+00:00"
ACTION_STATUSES = ("pending", "executing", "confirmed", "cancelled", "expired", "failed")


def versions(names: list[str]) -> list[str]:
    return [name.split("_", 1)[0] for name in names]


@pytest.fixture
def flask_db(make_app):
    """Run `flask db ...` (or another command) on a SQLite file of the test's choosing. The
    app migrates its own file when it starts, so each test points it at another one."""
    app = make_app()

    def invoke(path: Path, *args: str):
        app.config["SQLITE_PATH"] = str(path)
        return app.test_cli_runner().invoke(args=list(args or ("db", "upgrade")))

    return invoke


def recorded(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall()


def add_action(conn, status: str = "pending", action_id: str | None = None) -> None:
    """An action in CONVERSATION, in either store (the same SQL on both)."""
    conn.execute(
        "INSERT INTO agent_actions (id, user_id, conversation_id, agent_type, tool_name, "
        f"summary, status, expires_at, created_at, updated_at) VALUES ('{action_id or ACTION}', "
        f"'{USER_A}', '{CONVERSATION}', 'invoices', 'delete_invoice', 'Delete INV-1', "
        f"'{status}', '{NOW}', '{NOW}', '{NOW}')"
    )


def test_upgrade_an_empty_sqlite_file_then_again(flask_db, tmp_path):
    path = tmp_path / "empty.sqlite3"
    path.touch()
    first = flask_db(path)
    assert first.exit_code == 0, first.output
    assert [line for line in first.output.splitlines() if line.startswith("Applied")] == [
        f"Applied {name}" for name in SQLITE_FILES
    ]
    rows = recorded(path)
    assert [version for version, _ in rows] == versions(SQLITE_FILES)

    second = flask_db(path)
    assert second.exit_code == 0, second.output
    assert "Applied" not in second.output
    assert f"Already up to date: {', '.join(SQLITE_FILES)}" in second.output
    assert "nothing to apply" in second.output
    assert recorded(path) == rows


def test_init_db_is_db_upgrade_and_status_lists_each_migration(flask_db, tmp_path):
    path = tmp_path / "new.sqlite3"
    before = flask_db(path, "db", "status")
    assert before.output.splitlines() == [f"{name}  pending" for name in SQLITE_FILES]

    assert flask_db(path, "init-db").exit_code == 0
    after = flask_db(path, "db", "status")
    assert [line.split("  ")[0] for line in after.output.splitlines()] == SQLITE_FILES
    assert all("  applied 20" in line for line in after.output.splitlines())
    assert "nothing to apply" in flask_db(path, "init-db").output


def test_a_database_made_before_migrations_upgrades_and_keeps_its_rows(flask_db, tmp_path):
    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as conn:  # what the old `init-db` made
        conn.executescript((ROOT / "migrations" / "sqlite" / "0001_baseline.sql").read_text())
        conn.execute(
            "INSERT INTO agent_conversations (id, user_id, created_at, updated_at) "
            f"VALUES ('{CONVERSATION}', '{USER_A}', '{NOW}', '{NOW}')"
        )
        add_action(conn)
        conn.commit()
        old_rows = conn.execute("SELECT * FROM agent_actions").fetchall()

    result = flask_db(path)
    assert result.exit_code == 0, result.output
    assert "Applied 0005_action_executing.sql" in result.output
    assert [version for version, _ in recorded(path)] == versions(SQLITE_FILES)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute("SELECT * FROM agent_actions").fetchall() == old_rows
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = conn.execute("SELECT name FROM pragma_index_list('agent_actions')").fetchall()
        assert ("agent_actions_user",) in indexes
        conn.execute(f"DELETE FROM agent_conversations WHERE id = '{CONVERSATION}'")
        assert conn.execute("SELECT count(*) FROM agent_actions").fetchone() == (0,)  # cascade


def test_executing_is_an_action_status_in_sqlite(flask_db, tmp_path):
    path = tmp_path / "actions.sqlite3"
    assert flask_db(path).exit_code == 0
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "INSERT INTO agent_conversations (id, user_id, created_at, updated_at) "
            f"VALUES ('{CONVERSATION}', '{USER_A}', '{NOW}', '{NOW}')"
        )
        for status in ACTION_STATUSES:
            add_action(conn, status, str(uuid.uuid4()))
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            add_action(conn, "running", str(uuid.uuid4()))


def test_workers_starting_together_apply_each_migration_once(tmp_path):
    path, reports, errors = str(tmp_path / "shared.sqlite3"), [], []

    def start() -> None:
        try:
            reports.append(migrate.upgrade_sqlite(path))
        except Exception as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=start) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert errors == []
    assert sorted(name for report in reports for name in report.applied) == SQLITE_FILES
    assert [version for version, _ in recorded(Path(path))] == versions(SQLITE_FILES)


def test_a_migration_another_process_applied_meanwhile_is_not_run_again(tmp_path):
    """Both processes saw it pending; the second to take the lock finds it recorded."""
    directory = migrations_then(
        tmp_path, ROOT / "migrations" / "sqlite", "ALTER TABLE agent_actions ADD COLUMN why TEXT;"
    )
    path = str(tmp_path / "race.sqlite3")
    first, second = migrate.SQLiteDatabase(path), migrate.SQLiteDatabase(path)
    try:
        first.create_table()
        baseline, added = migrate.discover(directory)
        assert first.apply(baseline) and first.apply(added)
        assert second.apply(added) is False  # not "duplicate column name"
        assert list(second.recorded()) == ["0001", "0002"]
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("CREATE TABLE half_done (id TEXT); SELECT no_such_function();", "no such function"),
        (
            "CREATE TABLE half_done (id TEXT);"
            "INSERT INTO agent_messages (id, conversation_id, user_id, role, created_at, "
            f"updated_at) VALUES ('m', 'no-such-conversation', '{USER_A}', 'user', '{NOW}', "
            f"'{NOW}');",
            "breaks foreign keys",
        ),
    ],
)
def test_a_failing_sqlite_migration_leaves_nothing_behind(tmp_path, broken, reason):
    database = migrate.SQLiteDatabase(str(tmp_path / "broken.sqlite3"))
    database.directory = migrations_then(tmp_path, ROOT / "migrations" / "sqlite", broken)
    try:
        with pytest.raises(migrate.MigrationError, match=reason) as failed:
            migrate.upgrade(database)
        assert "0002_broken.sql" in str(failed.value)
        assert list(database.recorded()) == ["0001"]
        tables = database.conn.execute("SELECT name FROM sqlite_master").fetchall()
        assert ("half_done",) not in tables and ("agent_messages",) in tables
    finally:
        database.close()


def migrations_then(tmp_path, directory: Path, broken: str) -> Path:
    """A migrations directory: the first of `directory`, then 0002_broken.sql."""
    made = tmp_path / "migrations"
    made.mkdir()
    first = sorted(directory.glob("*.sql"))[0]
    (made / first.name).write_text(first.read_text())
    (made / "0002_broken.sql").write_text(broken)
    return made


# PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture
def fresh_database(pgstack):
    """A new, empty database on the test server, as a new Supabase project's (roles and
    `auth` schema, no migration yet); dropped after the test."""
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    url = pgstack.create_database(name)
    yield url
    pgstack.drop_database(name)


@pytest.fixture
def flask_db_on(make_app, pgstack):
    """Run `flask db ...` with STORE=supabase and DATABASE_URL set to `url`."""

    def invoke(url: str | None, *args: str):
        app = make_app(**supabase_overrides(pgstack), DATABASE_URL=url)
        return app.test_cli_runner().invoke(args=list(args or ("db", "upgrade")))

    return invoke


def pg_recorded(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select * from public.schema_migrations order by version").fetchall()


def test_upgrade_a_fresh_postgres_database_then_again(flask_db_on, fresh_database):
    first = flask_db_on(fresh_database)
    assert first.exit_code == 0, first.output
    assert [line for line in first.output.splitlines() if line.startswith("Applied")] == [
        f"Applied {name}" for name in POSTGRES_FILES
    ]
    rows = pg_recorded(fresh_database)
    assert [version for version, _ in rows] == versions(POSTGRES_FILES)

    second = flask_db_on(fresh_database)
    assert second.exit_code == 0, second.output
    assert "Applied" not in second.output and "nothing to apply" in second.output
    assert pg_recorded(fresh_database) == rows

    with psycopg.connect(fresh_database) as conn:
        policies = "select count(*) from pg_policies where schemaname = 'api'"
        assert conn.execute(policies).fetchone() == (59,)  # RLS kept by every migration
        assert conn.execute("select to_regclass('api.schema_migrations')").fetchone() == (None,)


def test_executing_is_an_action_status_in_postgres(flask_db_on, fresh_database):
    assert flask_db_on(fresh_database).exit_code == 0
    with psycopg.connect(fresh_database) as conn:
        conn.execute("set search_path = api")
        conn.execute(
            f"insert into agent_conversations (id, user_id) values ('{CONVERSATION}', '{USER_A}')"
        )
        for status in ACTION_STATUSES:
            add_action(conn, status, str(uuid.uuid4()))
        with pytest.raises(psycopg.errors.CheckViolation):
            add_action(conn, "running", str(uuid.uuid4()))


def test_a_database_migrated_by_hand_is_recorded_and_keeps_its_rows(
    flask_db_on, fresh_database, pgstack
):
    with psycopg.connect(fresh_database, autocommit=True) as conn:  # 0001-0004, "in order"
        for name in POSTGRES_FILES[:4]:
            conn.execute((ROOT / "migrations" / name).read_text())
        conn.execute("set search_path = api")
        conn.execute(
            f"insert into agent_conversations (id, user_id) values ('{CONVERSATION}', '{USER_A}')"
        )
        add_action(conn)
    result = flask_db_on(fresh_database)
    assert result.exit_code == 0, result.output
    assert "Applied 0005_action_executing.sql" in result.output
    assert [version for version, _ in pg_recorded(fresh_database)] == versions(POSTGRES_FILES)
    with psycopg.connect(fresh_database) as conn:
        actions = conn.execute("select id::text, status from api.agent_actions").fetchall()
    assert actions == [(ACTION, "pending")]


def test_upgrade_on_supabase_without_database_url_names_it(flask_db_on):
    result = flask_db_on(None)
    assert result.exit_code == 1
    assert "DATABASE_URL is not set" in result.output


def test_make_run_goes_on_without_database_url(flask_db_on):
    result = flask_db_on(None, "db", "upgrade", "--if-configured")
    assert result.exit_code == 0, result.output
    assert "DATABASE_URL is not set: the Supabase migrations were not checked." in result.output


def test_the_cli_says_what_the_app_applied_as_it_started(tmp_path):
    """`flask db upgrade` as an operator types it, on a new file: the app migrates the file
    as it starts, and the command reports those migrations as applied, not "nothing"."""
    env = {**os.environ, "CANVALO_ENV": "testing", "SQLITE_PATH": str(tmp_path / "new.db")}
    command = [sys.executable, "-m", "flask", "--app", "canvalo_app", "db", "upgrade"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert [line for line in first.stdout.splitlines() if line.startswith("Applied")] == [
        f"Applied {name}" for name in SQLITE_FILES
    ]
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert "nothing to apply" in again.stdout and "Applied" not in again.stdout


def test_a_failing_postgres_migration_leaves_nothing_behind(fresh_database, tmp_path):
    broken = "create table api.half_done (id text); select no_such_function();"
    database = migrate.PostgresDatabase(fresh_database)
    database.directory = migrations_then(tmp_path, ROOT / "migrations", broken)
    try:
        with pytest.raises(migrate.MigrationError, match="0002_broken.sql.*no_such_function"):
            migrate.upgrade(database)
        assert list(database.recorded()) == ["0001"]
        half_done = database.conn.execute("select to_regclass('api.half_done')").fetchone()
        assert half_done == (None,)
    finally:
        database.close()
