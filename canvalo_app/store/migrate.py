"""Versioned schema migrations, for the SQLite file and for Supabase's PostgreSQL.

A migration is a file `<version>_<name>.sql`: migrations/sqlite/ for SQLite, migrations/ for
PostgreSQL. `upgrade` applies the ones a database has not recorded, in version order, each in
its own transaction together with its row in `schema_migrations` (version, applied_at), so a
second run, or a second worker starting at the same moment, applies nothing twice.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from config import ROOT

from .values import now_iso

log = logging.getLogger(__name__)

SQLITE_MIGRATIONS = ROOT / "migrations" / "sqlite"
POSTGRES_MIGRATIONS = ROOT / "migrations"
FILE_NAME = re.compile(r"(?P<version>[0-9]+)_[A-Za-z0-9_]+\.sql")
#: How long SQLite waits for another process's write lock (a worker migrating at startup).
SQLITE_LOCK_WAIT_SECONDS = 30.0


def _write_ahead_log(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode. Two processes opening a new file at once can find it busy
    without SQLite's busy wait being asked (its deadlock rule), so wait here instead."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class MigrationError(RuntimeError):
    """A migration could not be found, connected for, or applied; the message says which."""


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Report:
    """What one `upgrade` did: file names applied now, and those already recorded."""

    applied: list[str] = field(default_factory=list)
    already_applied: list[str] = field(default_factory=list)


def discover(directory: Path) -> list[Migration]:
    """The migrations in `directory`, in version order; a misnamed or repeated one is refused."""
    found: dict[str, Migration] = {}
    for path in sorted(Path(directory).glob("*.sql")):
        match = FILE_NAME.fullmatch(path.name)
        if not match:
            raise MigrationError(f"{path} is not named <version>_<name>.sql")
        version = match["version"]
        if version in found:
            raise MigrationError(f"{path.name} and {found[version].name} share version {version}")
        found[version] = Migration(version, path)
    if not found:
        raise MigrationError(f"no migrations in {directory}")
    return sorted(found.values(), key=lambda migration: int(migration.version))


class SQLiteDatabase:
    """A SQLite file. Foreign keys stay off while migrations run, as SQLite's own recipe for
    rebuilding a table asks (dropping the old table must not cascade), and every migration
    passes `PRAGMA foreign_key_check` before it commits."""

    directory = SQLITE_MIGRATIONS
    label = "sqlite"

    def __init__(self, path: str) -> None:
        with _failing_as(f"cannot open the SQLite file {path}"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: the transactions below are explicit (executescript commits others).
            self.conn = sqlite3.connect(
                path, timeout=SQLITE_LOCK_WAIT_SECONDS, isolation_level=None
            )
            self.conn.execute("PRAGMA foreign_keys = OFF")  # not changeable in a transaction
            _write_ahead_log(self.conn)

    def create_table(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )

    def recorded(self) -> dict[str, str]:
        """Applied versions and when; empty before the first upgrade."""
        exists = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if not exists:
            return {}
        return dict(self.conn.execute("SELECT version, applied_at FROM schema_migrations"))

    def apply(self, migration: Migration) -> bool:
        """Apply and record `migration`; False if another process recorded it first."""
        # BEGIN IMMEDIATE takes the write lock (waiting for a process migrating the file);
        # the record goes first, so a version another process applied meanwhile fails there,
        # before any of the file runs. (The version is digits and the time ISO 8601.)
        record = (
            "BEGIN IMMEDIATE;\nINSERT INTO schema_migrations (version, applied_at) "
            f"VALUES ('{migration.version}', '{now_iso()}');\n"
        )
        try:
            self.conn.executescript(record + migration.path.read_text())
            broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MigrationError(f"{migration.name} breaks foreign keys: {broken[:5]}")
            self.conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            self._rollback()
            if migration.version in self.recorded():
                return False
            raise
        except BaseException:
            self._rollback()
            raise
        return True

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


class PostgresDatabase:
    """A PostgreSQL database (Supabase's direct connection). `public.schema_migrations` sits
    outside the `api` schema PostgREST exposes; row-level security without a policy keeps
    the API roles out even where Supabase's default grants reach it."""

    directory = POSTGRES_MIGRATIONS
    label = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg

        with _failing_as("cannot connect to DATABASE_URL"):
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)

    def create_table(self) -> None:
        self.conn.execute(
            "create table if not exists public.schema_migrations "
            "(version text primary key, applied_at timestamptz not null default now())"
        )
        self.conn.execute("alter table public.schema_migrations enable row level security")

    def recorded(self) -> dict[str, str]:
        """Applied versions and when; empty before the first upgrade."""
        if not self.conn.execute("select to_regclass('public.schema_migrations')").fetchone()[0]:
            return {}
        rows = self.conn.execute("select version, applied_at from public.schema_migrations")
        return {version: applied_at.isoformat() for version, applied_at in rows}

    def apply(self, migration: Migration) -> bool:
        """Apply and record `migration`; False if another process recorded it first."""
        with self.conn.transaction():
            # Held to the commit: a second upgrade waits here, then finds the version recorded.
            self.conn.execute("lock table public.schema_migrations in exclusive mode")
            taken = self.conn.execute(
                "select 1 from public.schema_migrations where version = %s", (migration.version,)
            ).fetchone()
            if taken:
                return False
            # Without parameters the file goes as written (its %I stays), several statements.
            self.conn.execute(migration.path.read_text())
            self.conn.execute(
                "insert into public.schema_migrations (version) values (%s)", (migration.version,)
            )
        return True

    def close(self) -> None:
        self.conn.close()


Database = SQLiteDatabase | PostgresDatabase


@contextmanager
def _failing_as(what: str) -> Iterator[None]:
    """Turn the driver's errors into a MigrationError that says what was being done."""
    try:
        yield
    except MigrationError:
        raise
    except Exception as exc:  # sqlite3's, psycopg's or the file system's
        raise MigrationError(f"{what}: {exc}") from exc


def upgrade(database: Database) -> Report:
    """Apply every migration `database` has not recorded, in version order."""
    migrations = discover(database.directory)
    with _failing_as("cannot read schema_migrations"):
        database.create_table()
        done = database.recorded()
    report = Report()
    for migration in migrations:
        if migration.version not in done:
            with _failing_as(f"{migration.name} failed, nothing of it applied"):
                applied = database.apply(migration)
            if applied:
                log.info("Applied migration %s to the %s database", migration.name, database.label)
                report.applied.append(migration.name)
                continue
        report.already_applied.append(migration.name)
    return report


def status(database: Database) -> list[tuple[str, str | None]]:
    """Each migration's file name and when it was applied (None: not yet)."""
    with _failing_as("cannot read schema_migrations"):
        done = database.recorded()
    return [(m.name, done.get(m.version)) for m in discover(database.directory)]


def upgrade_and_close(database: Database) -> Report:
    """Bring `database` up to date, then close it."""
    try:
        return upgrade(database)
    finally:
        database.close()


def upgrade_sqlite(path: str) -> Report:
    """Bring the SQLite file at `path` up to date (creating it)."""
    return upgrade_and_close(SQLiteDatabase(path))


def upgrade_postgres(url: str) -> Report:
    """Bring the PostgreSQL database at `url` up to date."""
    return upgrade_and_close(PostgresDatabase(url))
