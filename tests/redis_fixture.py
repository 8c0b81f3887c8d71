"""A real redis-server (the Debian package `redis-server`), one per test session.

`make test` installs the package when it is missing. If the server cannot start, every test
using it fails with the reason; it is never skipped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis


@dataclass(frozen=True)
class RedisServer:
    url: str
    process: subprocess.Popen

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(directory: str, port: int | None = None) -> RedisServer:
    """Start a redis-server on `port` (a free one by default); raise if it cannot answer."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (Debian package redis-server)")
    port = port or _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            directory,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = RedisServer(f"redis://127.0.0.1:{port}/0", process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited: {process.stdout.read().decode()[-500:]}")
        try:
            if server.client().ping():
                return server
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not answer within 10 s")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="canvalo-redis-") as directory:
        try:
            server = start_redis(directory)
        except (OSError, RuntimeError) as exc:  # fail, never skip
            pytest.fail(f"The Redis test server could not start: {exc}", pytrace=False)
        try:
            yield server
        finally:
            server.process.terminate()
            server.process.wait(timeout=10)
