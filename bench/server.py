"""The service as deployed — gunicorn with the gevent worker — on a free loopback port,
with the SQLite store and the offline model. Used by the benchmark and the serving tests."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(port: int, db: Path, dev_secret: str, **settings: str) -> dict:
    """The environment of a local server: testing config on `port`, SQLite file `db`."""
    env = {**os.environ, "CANVALO_ENV": "testing", "API_HOST": "127.0.0.1",
           "API_PORT": str(port), "SQLITE_PATH": str(db), "DEV_JWT_SECRET": dev_secret,
           "LOG_LEVEL": "WARNING", **settings}  # fmt: skip
    env.pop("PORT", None)
    return env


def start_server(
    env: dict, output=subprocess.DEVNULL, errors=subprocess.STDOUT
) -> subprocess.Popen:
    return start_server_at(ROOT, env, output, errors)


def wait_ready(port: int, timeout: float = 20.0) -> bool:
    """Whether `/health` answered 200 within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/health")
            if probe.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.1)
    return False


def start_server_at(
    root: Path,
    env: dict,
    output=subprocess.DEVNULL,
    errors=subprocess.STDOUT,
    cpus: list[int] | None = None,
) -> subprocess.Popen:
    """Like `start_server`, from the checkout at `root` (e.g. a `git worktree` of an older
    commit, to run before and after side by side), optionally pinned to `cpus` (the
    affinity is set before exec, so gunicorn's worker inherits it)."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root, env=env, stdout=output, stderr=errors, preexec_fn=pin,
    )  # fmt: skip


class RedisProcess:
    """A redis-server of the benchmark's own, without persistence, on a free port, optionally
    pinned to `cpus`."""

    def __init__(self, directory: Path, cpus: list[int] | None = None):
        import redis

        self.port = free_port()
        pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(directory), "--maxclients", "20000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, preexec_fn=pin,
        )  # fmt: skip
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.process.kill()
                    raise
                time.sleep(0.05)

    def counters(self) -> dict:
        """CPU seconds of the server, and its byte, command and memory counters."""
        from bench import procfs

        info = self.client.info()
        return {
            "cpu_s": procfs.cpu_seconds(self.process.pid),
            "in_bytes": info["total_net_input_bytes"],
            "out_bytes": info["total_net_output_bytes"],
            "commands": info["total_commands_processed"],
            "used_memory_peak": info["used_memory_peak"],
        }

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
