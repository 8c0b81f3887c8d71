"""Open-loop SSE load client: one new chat every `--interval-ms`, thousands of streams at once.

One process, one core, asyncio (uvloop when installed) with raw `asyncio.open_connection`
sockets: no thread per stream. Each chat is an HTTP/1.1 `POST /api/chat/stream` with
`Connection: close` and its own bearer token (one user per stream, minted with
`canvalo_app.auth.mint_dev_token`; the bare apps ignore it). Chunked transfer encoding (what
gunicorn and uvicorn send), `Content-Length` and close-delimited bodies are all read.

Chats start on a fixed schedule (chat i at t0 + i * interval) whatever the server does, and
every time is measured from a chat's *scheduled* start, so a server (or a client) that falls
behind shows up in the numbers instead of slowing the arrivals. Per stream: time to connect,
to the first byte, to the first `token` event and to the terminal event (`complete` or
`error`); events, pings and terminal events received; HTTP status; exception.

A connection the server has not accepted yet waits in its listen backlog; one whose SYN the
kernel dropped (backlog full) is retried by the kernel and, should that give up, by this
client, until the stream's timeout: the client waits instead of failing.

While it runs it samples, every `--sample-interval` seconds, the streams open (first byte
received, no end yet), the server worker's RSS, and both sides' CPU time; the server's CPU
(utime + stime of its whole process tree) and the client's own are also taken right before
the first chat and after the last one.

    .venv/bin/python bench/loadgen.py --port 5000 --streams 300 --interval-ms 5 \\
        --server-pid <gunicorn master pid> --rss-pid <worker pid> --out /tmp/load.json

The process raises its RLIMIT_NOFILE soft limit to the hard limit and pins itself to
`--cpu` (default core 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import gc
import http.client
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import procfs  # noqa: E402

DEFAULT_SECRET = "bench-dev-secret-0123456789abcdef0123"
#: A request that routes to an agent, runs a tool that writes a record, and is answered in 25
#: words.
DEFAULT_MESSAGE = "draft an invoice for John Smith for 1200 dollars"
WARMUP_USER = "ffffffff-ffff-4fff-bfff-ffffffffffff"
TERMINAL = (b"complete", b"error")
RETRIED_CONNECT_ERRORS = frozenset(
    {errno.ETIMEDOUT, errno.ECONNREFUSED, errno.ECONNRESET, errno.EADDRNOTAVAIL, errno.EAGAIN}
)


def user_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def token_minter(root: Path = ROOT):
    """`canvalo_app.auth.mint_dev_token` from the checkout at `root`."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from canvalo_app.auth import mint_dev_token

    return mint_dev_token


# -- helpers -----------------------------------------------------------------------------


def raise_nofile() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def pin(cpu: int) -> list[int] | None:
    if cpu >= 0 and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})
    return sorted(os.sched_getaffinity(0))


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def distribution(values: list[float]) -> dict | None:
    """p50 / p90 / p95 / p99 / max of times in seconds, in milliseconds."""
    if not values:
        return None
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 1),
        "p90": round(percentile(ms, 90), 1),
        "p95": round(percentile(ms, 95), 1),
        "p99": round(percentile(ms, 99), 1),
        "max": round(max(ms), 1),
    }


def server_tree(cfg) -> list[int]:
    """The processes whose CPU is the server's: its tree, and what serves it from outside
    the tree (`--also-pid`: a redis-server)."""
    return (procfs.tree(cfg.server_pid) if cfg.server_pid else []) + cfg.also_pid


def rss_kb(pids: list[int]) -> int | None:
    """The RSS of `pids` together (the workers of a server), or None."""
    sizes = [size for size in map(procfs.rss_kb, pids) if size is not None]
    return sum(sizes) if sizes else None


def build_request(host: str, port: int, token: str, body: bytes) -> bytes:
    return (
        f"POST /api/chat/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


class Chunked:
    """Incremental decoder of a chunked HTTP body."""

    __slots__ = ("buf", "left", "skip", "done")

    def __init__(self):
        self.buf = b""
        self.left = 0  # data bytes left in the current chunk
        self.skip = 0  # bytes of the CRLF after a chunk's data still to skip
        self.done = False

    def feed(self, data: bytes) -> bytes:
        buf = self.buf + data if self.buf else data
        out = []
        pos, end = 0, len(buf)
        while pos < end and not self.done:
            if self.left:
                take = min(self.left, end - pos)
                out.append(buf[pos : pos + take])
                pos += take
                self.left -= take
                if not self.left:
                    self.skip = 2
            elif self.skip:
                take = min(self.skip, end - pos)
                pos += take
                self.skip -= take
            else:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    break
                size = int(buf[pos:eol].split(b";", 1)[0], 16)
                pos = eol + 2
                if size == 0:
                    self.done = True
                else:
                    self.left = size
        self.buf = buf[pos:] if pos < end and not self.done else b""
        return out[0] if len(out) == 1 else b"".join(out)


# -- the run -----------------------------------------------------------------------------


class Run:
    """Per-stream columns (times in seconds from the stream's scheduled start, NaN if none)."""

    def __init__(self, n: int):
        nan = math.nan
        self.n = n
        self.lag = [nan] * n
        self.connect = [nan] * n
        self.first_byte = [nan] * n
        self.first_token = [nan] * n
        self.terminal = [nan] * n
        self.events = [0] * n
        self.pings = [0] * n
        self.terminals = [0] * n
        self.terminal_kind: list[str | None] = [None] * n
        self.error_code: list[str | None] = [None] * n
        self.status = [0] * n
        self.exception: list[str | None] = [None] * n
        self.connect_attempts = [0] * n
        self.open_now = 0
        self.inflight = 0
        self.peak_open = 0
        self.peak_inflight = 0
        self.started = 0


async def one_stream(run: Run, i: int, sched: float, request: bytes, cfg) -> None:
    now = time.monotonic  # not loop.time(): uvloop's clock has 1 ms steps
    run.started += 1  # (counted in `inflight` by the launcher, when created)
    run.lag[i] = now() - sched
    writer = None
    opened = False
    try:
        async with asyncio.timeout(cfg.stream_timeout):
            while True:
                run.connect_attempts[i] += 1
                try:
                    reader, writer = await asyncio.open_connection(cfg.host, cfg.port)
                    break
                except OSError as exc:
                    # The kernel gave up its SYN retries (the server's backlog stayed full),
                    # or no free port / a refusal: wait and try again, up to the timeout.
                    # Out of file descriptors is the client's own limit: not retried.
                    if (
                        exc.errno not in RETRIED_CONNECT_ERRORS
                        or run.connect_attempts[i] >= cfg.max_connect_attempts
                    ):
                        raise
                    await asyncio.sleep(min(2.0, 0.25 * run.connect_attempts[i]))
            run.connect[i] = now() - sched
            writer.write(request)
            head = b""
            while True:
                data = await reader.read(65536)
                if not data:
                    raise ConnectionError("closed before the response headers")
                if not opened:
                    run.first_byte[i] = now() - sched
                    opened = True
                    run.open_now += 1
                    if run.open_now > run.peak_open:
                        run.peak_open = run.open_now
                head += data
                split = head.find(b"\r\n\r\n")
                if split >= 0:
                    break
            lines = head[:split].split(b"\r\n")
            status = int(lines[0].split(None, 2)[1])
            run.status[i] = status
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
            length = int(headers[b"content-length"]) if b"content-length" in headers else None
            decoder = Chunked() if chunked else None
            data = head[split + 4 :]
            if status != 200:
                body = b""
                while True:
                    body += decoder.feed(data) if decoder else data
                    if (decoder and decoder.done) or (length is not None and len(body) >= length):
                        break
                    data = await reader.read(65536)
                    if not data:
                        break
                try:
                    run.error_code[i] = json.loads(body)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    run.error_code[i] = body[:80].decode(errors="replace")
                return
            pending = b""
            received = 0
            while True:
                if data:
                    received += len(data)
                    pending += decoder.feed(data) if decoder else data
                    start = 0
                    while True:
                        end = pending.find(b"\n\n", start)
                        if end < 0:
                            break
                        frame = pending[start:end]
                        start = end + 2
                        while frame[:1] == b":":  # heartbeats: comment lines before an event
                            run.pings[i] += 1
                            cut = frame.find(b"\n")
                            frame = frame[cut + 1 :] if cut >= 0 else b""
                        if not frame:
                            continue
                        run.events[i] += 1
                        at = frame.find(b"event: ")
                        if at < 0:
                            continue
                        eol = frame.find(b"\n", at)
                        kind = frame[at + 7 : eol if eol >= 0 else len(frame)]
                        if kind == b"token":
                            if run.first_token[i] != run.first_token[i]:  # NaN: the first
                                run.first_token[i] = now() - sched
                        elif kind in TERMINAL:
                            run.terminals[i] += 1
                            if run.terminals[i] == 1:
                                run.terminal[i] = now() - sched
                                run.terminal_kind[i] = kind.decode()
                            if kind == b"error":
                                try:
                                    payload = frame[frame.index(b"data: ") + 6 :]
                                    run.error_code[i] = json.loads(payload).get("code")
                                except ValueError:
                                    run.error_code[i] = "unparsed"
                    if start:
                        pending = pending[start:]
                if (decoder and decoder.done) or (length is not None and received >= length):
                    break
                data = await reader.read(65536)
                if not data:
                    if decoder and not decoder.done:
                        raise ConnectionError("closed inside the chunked body")
                    break
    except TimeoutError:
        run.exception[i] = "stream timeout"
    except asyncio.CancelledError:
        run.exception[i] = "cancelled at the scenario deadline"
    except Exception as exc:  # noqa: BLE001 - a benchmark records every failure
        run.exception[i] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        if opened:
            run.open_now -= 1
        run.inflight -= 1
        if writer is not None:
            writer.close()


async def sampler(run: Run, cfg, samples: list, stop: asyncio.Event) -> None:
    t0 = time.monotonic()
    last_wall, last_client = t0, own_cpu_seconds()
    last_server = procfs.tree_cpu_seconds(cfg.server_tree, cfg.server_pid) if cfg.server_pid else 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), cfg.sample_interval)
        t = time.monotonic()
        client = own_cpu_seconds()
        server = procfs.tree_cpu_seconds(cfg.server_tree, cfg.server_pid) if cfg.server_pid else 0.0
        span = max(t - last_wall, 1e-9)
        samples.append(
            {
                "t": round(t - t0, 3),
                "open": run.open_now,
                "inflight": run.inflight,
                "rss_kb": rss_kb(cfg.rss_pid),
                "client_cpu": round((client - last_client) / span, 3),
                "server_cpu": round((server - last_server) / span, 3),
            }
        )
        last_wall, last_client, last_server = t, client, server


async def drive(cfg, requests: list[bytes]) -> dict:
    n = len(requests)
    run = Run(n)
    interval = cfg.interval_ms / 1000
    samples: list[dict] = []
    stop = asyncio.Event()
    rss_before = rss_kb(cfg.rss_pid)
    server_cpu0 = procfs.tree_cpu_seconds(cfg.server_tree, cfg.server_pid) if cfg.server_pid else 0
    sched0 = procfs.sched_seconds(cfg.server_tree) if cfg.server_pid else 0.0
    cores0 = procfs.cpu_times()
    client_cpu0 = own_cpu_seconds()
    t0 = time.monotonic() + 0.02
    deadline = t0 + cfg.deadline
    sample_task = asyncio.create_task(sampler(run, cfg, samples, stop))
    tasks = []
    throttled = 0.0  # seconds the launcher waited for the in-flight cap
    not_started = 0
    i = 0
    while i < n:
        t = time.monotonic()
        if t > deadline:
            not_started = n - i
            break
        due = t0 + i * interval
        if due > t:
            await asyncio.sleep(due - t)
            continue
        if run.inflight >= cfg.max_inflight:  # the client's own cap (file descriptors)
            await asyncio.sleep(0.005)
            throttled += time.monotonic() - t
            continue
        # Start every chat that is due (a late wake-up starts the overdue ones at once).
        while i < n and t0 + i * interval <= t and run.inflight < cfg.max_inflight:
            run.inflight += 1
            if run.inflight > run.peak_inflight:
                run.peak_inflight = run.inflight
            tasks.append(
                asyncio.create_task(one_stream(run, i, t0 + i * interval, requests[i], cfg))
            )
            i += 1
    launched_at = time.monotonic()
    pending = set()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=10)
    end = time.monotonic()
    server_cpu = (  # the tree again: a worker that was replaced counts in the reaped times
        procfs.tree_cpu_seconds(server_tree(cfg), cfg.server_pid) - server_cpu0
        if cfg.server_pid
        else None
    )
    sched = procfs.sched_seconds(cfg.server_tree) - sched0 if cfg.server_pid else None
    client_cpu = own_cpu_seconds() - client_cpu0
    cores1 = procfs.cpu_times()
    cores = {
        core: {k: round(cores1[core][k] - cores0[core][k], 2) for k in cores1[core]}
        for core in cores1
        if core in cores0
    }
    stop.set()
    await sample_task
    wall = end - t0
    return summarize(
        run,
        cfg,
        samples,
        {
            "wall_s": round(wall, 2),
            "arrival_span_s": round(launched_at - t0, 2),
            "throttled_s": round(throttled, 2),
            "max_inflight": cfg.max_inflight,
            "not_started": not_started,
            "cancelled_at_deadline": len(pending),
            "server_cpu_s": None if server_cpu is None else round(server_cpu, 3),
            "server_cpu_schedstat_s": None if sched is None else round(sched, 3),
            "client_cpu_s": round(client_cpu, 3),
            "server_cpu_util": None if server_cpu is None else round(server_cpu / wall, 3),
            "client_cpu_util": round(client_cpu / wall, 3),
            "rss_before_kb": rss_before,
            "cores_s": cores,  # every process's time on each core, from /proc/stat
        },
    )


def summarize(run: Run, cfg, samples: list[dict], extra: dict) -> dict:
    n = run.n

    def col(values, idx=None):
        idx = range(n) if idx is None else idx
        return [values[k] for k in idx if values[k] == values[k]]  # drop NaN

    ok = [
        k
        for k in range(n)
        if run.status[k] == 200 and run.terminals[k] == 1 and run.terminal_kind[k] == "complete"
    ]
    errors: dict[str, int] = {}

    def count(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    for k in range(n):
        if run.exception[k]:
            count("exception: " + run.exception[k].split(":")[0])
        elif run.status[k] and run.status[k] != 200:
            count(f"http {run.status[k]} {run.error_code[k]}")
        elif run.terminals[k] == 0 and run.status[k] == 200:
            count("no terminal event")
        elif run.terminals[k] > 1:
            count("several terminal events")
        elif run.terminal_kind[k] == "error":
            count(f"error event {run.error_code[k]}")
        elif run.status[k] == 0:
            count("not started")
    events = sum(run.events)
    summary = {
        "streams": n,
        "started": run.started,
        "ok": len(ok),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "events": events,
        "pings": sum(run.pings),
        "events_per_stream": round(events / max(1, run.started), 2),
        "events_per_ok_stream": round(sum(run.events[k] for k in ok) / len(ok), 2) if ok else None,
        "terminal_events": sum(run.terminals),
        "connect_retries": sum(max(0, a - 1) for a in run.connect_attempts),
        "peak_open": run.peak_open,
        "peak_inflight": run.peak_inflight,
        **extra,
        "lag_ms": distribution(col(run.lag)),
        "connect_ms": distribution(col(run.connect)),
        "first_byte_ms": distribution(col(run.first_byte)),
        "first_token_ms": distribution(col(run.first_token)),
        "terminal_ms": distribution(col(run.terminal)),
    }
    if cfg.head_tail and n >= 2 * cfg.head_tail:
        ok_set = set(ok)
        head, tail = range(cfg.head_tail), range(n - cfg.head_tail, n)
        summary["head_tail"] = {
            "size": cfg.head_tail,
            "first_byte_first_ms": distribution(col(run.first_byte, head)),
            "first_byte_last_ms": distribution(col(run.first_byte, tail)),
            "first_token_first_ms": distribution(col(run.first_token, head)),
            "first_token_last_ms": distribution(col(run.first_token, tail)),
            "errors_first": sum(1 for k in head if k not in ok_set),
            "errors_last": sum(1 for k in tail if k not in ok_set),
        }
    # Memory per open stream: the sample with the most streams open (the latest such).
    summary["samples"] = samples
    with_rss = [s for s in samples if s.get("rss_kb")]
    if with_rss and extra.get("rss_before_kb"):
        peak = max(with_rss, key=lambda s: (s["open"], s["t"]))
        summary["rss_at_peak_kb"] = peak["rss_kb"]
        summary["open_at_rss_peak"] = peak["open"]
        summary["rss_max_kb"] = max(s["rss_kb"] for s in with_rss)
        if peak["open"]:
            summary["kb_per_open_stream"] = round(
                (peak["rss_kb"] - extra["rss_before_kb"]) / peak["open"], 2
            )
    if samples:
        # The last sample also holds the teardown (thousands of finished tasks collected).
        running = samples[:-1] or samples
        summary["client_cpu_util_max"] = max(s["client_cpu"] for s in running)
        summary["server_cpu_util_max"] = max(s["server_cpu"] for s in running)
    if cfg.records:
        summary["records"] = {
            "first_byte": run.first_byte,
            "first_token": run.first_token,
            "terminal": run.terminal,
            "events": run.events,
            "status": run.status,
            "exception": run.exception,
        }
    return summary


# -- one synchronous stream (warm-up, measuring the service's answer) --------------------


def stream_once(
    host: str,
    port: int,
    token: str,
    message: str = DEFAULT_MESSAGE,
    until_first_token: bool = False,
    timeout: float = 60.0,
) -> dict:
    """One chat over http.client: the events received (type and data), status, timings."""
    t0 = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/api/chat/stream",
            body=json.dumps({"message": message}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        out: dict = {"status": response.status, "events": [], "pings": 0}
        if response.status != 200:
            out["body"] = response.read().decode(errors="replace")
            return out
        kind = None
        while line := response.readline():
            if line.startswith(b":"):
                out["pings"] += 1
            elif line.startswith(b"event: "):
                kind = line[7:].strip().decode()
            elif line.startswith(b"data: ") and kind:
                out["events"].append({"type": kind, "data": json.loads(line[6:])})
                if kind == "token" and until_first_token:
                    break
                if kind in ("complete", "error"):
                    kind = None
        out["seconds"] = round(time.perf_counter() - t0, 3)
        return out
    finally:
        connection.close()


# -- command line ------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--interval-ms", type=float, default=5.0, help="between chat starts")
    parser.add_argument("--message", default=DEFAULT_MESSAGE)
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="DEV_JWT_SECRET of the server")
    parser.add_argument("--user-offset", type=int, default=0, help="first user number")
    parser.add_argument("--token-root", default=str(ROOT), help="checkout to mint tokens with")
    parser.add_argument("--stream-timeout", type=float, default=120.0, help="seconds per stream")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds for the whole run")
    parser.add_argument("--max-connect-attempts", type=int, default=50)
    parser.add_argument(
        "--max-inflight", type=int, default=15000,
        help="client-side cap on chats in flight (also kept 1,000 below the fd limit)",
    )  # fmt: skip
    parser.add_argument("--server-pid", type=int, default=0, help="root of the server's tree")
    parser.add_argument(
        "--also-pid", type=int, action="append", default=[],
        help="a process outside the server's tree whose CPU counts as the server's",
    )  # fmt: skip
    parser.add_argument(
        "--rss-pid", type=int, action="append", default=[],
        help="a process whose RSS is sampled (repeatable: the sum is taken)",
    )  # fmt: skip
    parser.add_argument("--sample-interval", type=float, default=0.5)
    parser.add_argument("--head-tail", type=int, default=0, help="also summarize first/last K")
    parser.add_argument("--cpu", type=int, default=1, help="core to pin to (-1: no pinning)")
    parser.add_argument("--no-uvloop", action="store_true")
    parser.add_argument("--records", action="store_true", help="keep per-stream columns")
    parser.add_argument("--out", help="write the JSON result here (default: stdout)")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    cfg = parse_args(argv)
    nofile = raise_nofile()
    cfg.max_inflight = max(1, min(cfg.max_inflight, nofile[0] - 1000))
    cpus = pin(cfg.cpu)
    mint = token_minter(Path(cfg.token_root))
    body = json.dumps({"message": cfg.message}).encode()
    requests = [
        build_request(cfg.host, cfg.port, mint(cfg.secret, user_id(cfg.user_offset + k)), body)
        for k in range(cfg.streams)
    ]
    cfg.server_tree = server_tree(cfg)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    loop_factory = None
    if not cfg.no_uvloop:
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(drive(cfg, requests))
    tree_after = server_tree(cfg)
    result["client"] = {
        "cpus": cpus,
        "nofile": list(nofile),
        "loop": "uvloop" if loop_factory else "asyncio",
        "server_tree_before": cfg.server_tree,
        "server_tree_after": tree_after,
        "interval_ms": cfg.interval_ms,
        "stream_timeout_s": cfg.stream_timeout,
        "deadline_s": cfg.deadline,
    }
    text = json.dumps(result)
    if cfg.out:
        Path(cfg.out).write_text(text)
    else:
        print(text)
    return result


if __name__ == "__main__":
    main()
