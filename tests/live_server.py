"""The service as deployed, for tests that drive it from outside over real sockets.

`Instance` is a gunicorn master with its gevent workers; `request`, `json_of` and
`read_events` are a plain HTTP client's calls to one, and `CuttingProxy` drops one of its
answers mid-stream. `live_server` is the fixture the client tests share (a test module
imports `live_server_fixture`): one worker, the in-memory engine, a seeded SQLite file.
`run_client` runs one of the real front-end clients in tests/clients (a Node script, some of
which drive Debian's Chromium) and returns what it printed. `make test` installs those
clients (the Makefile's `test-clients`); a test that needs one that is missing fails with
the reason, never skips.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.server import ROOT, free_port, server_env, start_server, wait_ready
from canvalo_app.auth import DEMO_USER
from tests.conftest import USER_A, Users, parse_sse
from tests.helpers import seed

HEADERS = Users().headers(USER_A)
#: An access line names the worker that answered: its pid, the method, the path, the status.
ACCESS_LINE = re.compile(r'<(\d+)> "(\w+) (\S+)" (\d{3}) ')

CLIENTS = ROOT / "tests" / "clients"
CHROMIUM = "/usr/bin/chromium"
#: Chromium's flags for the tests (playwright-core adds a fresh, empty --user-data-dir).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Instance:
    """One gunicorn master and its workers."""

    def __init__(self, env: dict, log_path: Path):
        self.port = int(env["API_PORT"])
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115  (closed in `stop`)
        self.process = start_server(env, output=self.log)
        if not wait_ready(self.port):
            self.stop()
            pytest.fail("gunicorn did not start: " + log_path.read_text()[-2000:])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill(self) -> None:
        """SIGKILL the master and every worker: no shutdown code runs anywhere."""
        for pid in [*self.workers(), self.process.pid]:
            os.kill(pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()

    def served(self) -> list[tuple[int, str, str, int]]:
        """(worker pid, method, path, status) of every request answered so far."""
        return [
            (int(pid), method, path, int(status))
            for pid, method, path, status in ACCESS_LINE.findall(self.log_path.read_text())
        ]


@pytest.fixture(scope="module", name="live_server")
def live_server_fixture(tmp_path_factory) -> Iterator[Instance]:
    """gunicorn as deployed (gunicorn.conf.py, one gevent worker, generations in memory) on a
    free loopback port, with USER_A's and the demo user's business in a fresh SQLite file.
    The offline model writes a word every 50 ms, so a client can be cut off mid-answer."""
    directory = tmp_path_factory.mktemp("live")
    env = server_env(
        free_port(),
        directory / "db.sqlite3",
        Users.secret,
        OFFLINE_TOKEN_DELAY="0.05",
        RATE_LIMIT_CHAT="1000 per minute",
    )
    for name in ("REDIS_URL", "WEB_CONCURRENCY"):
        env.pop(name, None)
    seed(env)
    seed(env, DEMO_USER)  # whom the demo page's dev token signs in
    instance = Instance(env, directory / "server.log")
    yield instance
    instance.stop()


# -- A plain HTTP client --------------------------------------------------------------------


def request(port: int, method: str, path: str, body=None, headers=HEADERS):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {**headers, "Content-Type": "application/json"}
    connection.request(method, path, body=json.dumps(body) if body else None, headers=sent)
    return connection, connection.getresponse()


def json_of(port: int, method: str, path: str, body=None, headers=HEADERS) -> tuple[int, dict]:
    connection, response = request(port, method, path, body, headers)
    try:
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def read_events(response, until=None) -> list[dict]:
    """Events as they arrive, to the terminal one (or until `until(events)` holds)."""
    found, buffer = [], ""
    while True:
        line = response.readline().decode()
        if not line:
            return found
        buffer += line
        if line == "\n":
            frame = parse_sse(buffer)[0]
            buffer = ""
            if "data" in frame:
                found.append({"_id": int(frame["id"]), **frame["data"]})
                if found[-1]["type"] in ("complete", "error") or (until and until(found)):
                    return found


# -- A proxy that drops an answer mid-stream ----------------------------------------------

#: A request as the proxy saw it go by: its method, path and header lines.
REQUEST_HEAD = re.compile(rb"(GET|POST) (\S+) HTTP/1\.1\r\n((?:[^\r\n]+\r\n)*)\r\n")


class CuttingProxy:
    """A TCP proxy on the loopback in front of the server that drops one answer mid-stream,
    once: it forwards the server's bytes up to `offset` bytes from the start of the `nth`
    `marker` (by default 3 bytes before the third `event: token` line: in the middle of the
    `id:` line that opens that event), then closes both sides. It keeps every byte the
    client sent, to tell which requests reached the server."""

    def __init__(self, upstream: int, marker=b"event: token\n", nth: int = 3, offset: int = -3):
        self.upstream, self.marker, self.nth, self.offset = upstream, marker, nth, offset
        self.cut = threading.Event()
        self.sent: list[bytearray] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self.sent.append(received := bytearray())
            threading.Thread(target=self._up, args=(client, server, received), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket, received: bytearray) -> None:
        while (chunk := _recv(client)) and _sendall(server, chunk):
            received += chunk
        _close(client, server)

    def _down(self, server: socket.socket, client: socket.socket) -> None:
        seen, cut_at = bytearray(), None
        while chunk := _recv(server):
            if not self.cut.is_set() or cut_at is not None:  # the connection to cut, once
                seen += chunk
                if cut_at is None and (at := _nth(seen, self.marker, self.nth)) is not None:
                    self.cut.set()
                    cut_at = at + self.offset
                if cut_at is not None and len(seen) >= cut_at:
                    _sendall(client, chunk[: max(0, cut_at - len(seen) + len(chunk))])
                    break
            if not _sendall(client, chunk):
                break
        _close(client, server)

    def requests(self) -> list[tuple[str, str, dict]]:
        """(method, path, headers) of every request the client sent, in order."""
        heads = [head for data in self.sent for head in REQUEST_HEAD.findall(bytes(data))]
        return [
            (method.decode(), path.decode(), _headers(lines.decode()))
            for method, path, lines in heads
        ]

    def close(self) -> None:
        _close(self.listener)  # shutdown wakes the accepting thread


def _nth(data: bytearray, marker: bytes, n: int) -> int | None:
    """Where the `n`-th `marker` in `data` starts, if it has come."""
    at = -1
    for _ in range(n):
        at = data.find(marker, at + 1)
        if at < 0:
            return None
    return at


def _headers(lines: str) -> dict:
    return {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines.splitlines())
    }


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _sendall(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


# -- The real clients (tests/clients) -------------------------------------------------------


def require_clients(*packages: str, chromium: bool = False) -> None:
    """Fail, naming what is missing, unless Node, `packages` (installed in
    tests/clients/node_modules) and, with `chromium`, Debian's Chromium are there."""
    missing = [] if shutil.which("node") else ["node (Node.js 20 or newer)"]
    missing += [
        f"the npm package {name}"
        for name in packages
        if not (CLIENTS / "node_modules" / name / "package.json").is_file()
    ]
    if chromium and not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (the Debian package chromium)")
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `make test` installs the client tests' needs")


def run_client(script: str, config: dict, timeout: float = 60) -> dict:
    """Run tests/clients/`script` with Node, `config` as JSON on its standard input; return
    the JSON object it prints last. It runs in a process group of its own, so that a client
    that hangs is ended with everything it started (a browser)."""
    process = subprocess.Popen(
        ["node", script],
        cwd=CLIENTS,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(json.dumps(config), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{script} did not finish within {timeout} s:\n{out[-2000:]}\n{err[-2000:]}")
    if process.returncode != 0 or not out.strip():
        pytest.fail(f"{script} exited {process.returncode}:\n{out[-2000:]}\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])
