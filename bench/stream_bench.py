"""Streaming benchmark: many concurrent chats against the real server.

Starts gunicorn (one gevent worker, as deployed) on a free loopback port with the SQLite
store and the offline model, opens `--streams` chat streams at once from `--streams`
client threads, and measures per stream: time to the first byte (the `: ping`), to the
`start` event, to the first token, and to the terminal event. Every stream must end with
exactly one terminal event and its answer must be saved `complete`.

    .venv/bin/python bench/stream_bench.py --streams 200 --token-delay 0.03
"""

from __future__ import annotations

import argparse
import http.client
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import free_port, server_env, start_server, wait_ready  # noqa: E402
from canvalo_app.auth import mint_dev_token  # noqa: E402

SECRET = "bench-dev-secret-0123456789abcdef0123"


def one_stream(port: int, token: str, message: str, out: list, index: int) -> None:
    t0 = time.perf_counter()
    marks: dict = {"terminal": 0, "t0": t0}
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "POST",
            "/api/chat/stream",
            body=json.dumps({"message": message}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        marks["status"] = response.status
        while line := response.readline():
            now = time.perf_counter() - t0
            marks.setdefault("first_byte", now)
            if line.startswith(b"event: start"):
                marks.setdefault("start", now)
            elif line.startswith(b"event: token"):
                marks.setdefault("first_token", now)
            elif line.startswith((b"event: complete", b"event: error")):
                marks["terminal"] += 1
                marks["end"] = now
                marks["kind"] = line.split(b": ")[1].strip().decode()
        connection.close()
    except Exception as exc:  # noqa: BLE001 - a benchmark records every failure
        marks["exception"] = repr(exc)
    out[index] = marks


def peak_open(spans: list[tuple[float, float]]) -> int:
    """The most streams open at the same moment."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    open_now = peak = 0
    for _, change in edges:
        open_now += change
        peak = max(peak, open_now)
    return peak


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(streams: int, token_delay: float, message: str, ramp: float = 0.0) -> dict:
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="canvalo-bench-"))
    db = workdir / "bench.sqlite3"
    env = server_env(port, db, SECRET, OFFLINE_TOKEN_DELAY=str(token_delay),
                     RATE_LIMIT_CHAT="100000 per minute")  # fmt: skip
    server = start_server(env)
    try:
        if not wait_ready(port):
            raise RuntimeError("the server did not start")
        # One user per stream: each conversation is its own, as in production.
        tokens = [
            mint_dev_token(SECRET, f"00000000-0000-4000-8000-{n:012d}") for n in range(streams)
        ]
        results: list = [None] * streams
        threads = [
            threading.Thread(target=one_stream, args=(port, tokens[n], message, results, n))
            for n in range(streams)
        ]
        started = time.perf_counter()
        for n, thread in enumerate(threads):
            # Spread the starts over `ramp` seconds (0: all at the same instant).
            time.sleep(max(0.0, started + ramp * n / streams - time.perf_counter()))
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        saved = dict(
            conn.execute(
                "SELECT status, COUNT(*) FROM agent_messages "
                "WHERE role = 'assistant' GROUP BY status"
            ).fetchall()
        )
    ok = [r for r in results if r and r.get("status") == 200 and r.get("terminal") == 1]
    summary = {
        "streams": streams,
        "ramp_s": ramp,
        "token_delay_s": token_delay,
        "wall_s": round(wall, 2),
        "ok_streams": len(ok),
        "failed_streams": streams - len(ok),
        "saved_assistant_rows": saved,
    }
    summary["peak_open_streams"] = peak_open([(r["t0"], r["t0"] + r["end"]) for r in ok])
    for mark in ("first_byte", "start", "first_token", "end"):
        values = [r[mark] * 1000 for r in ok if mark in r]
        if values:
            summary[f"{mark}_ms"] = {
                "p50": round(statistics.median(values), 1),
                "p95": round(percentile(values, 95), 1),
                "max": round(max(values), 1),
            }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--token-delay", type=float, default=0.03)
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="seconds over which stream starts are spread (0 = a burst)",
    )
    parser.add_argument("--message", default="which invoices are overdue?")
    args = parser.parse_args()
    print(json.dumps(run(args.streams, args.token_delay, args.message, args.ramp), indent=2))


if __name__ == "__main__":
    main()
