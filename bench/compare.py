"""Comparative streaming benchmark: the service against a bare gevent ceiling and a FastAPI peer.

One command runs every target under the same load, one scenario after the other, each on a
fresh server process pinned to core 0 while the load client (`loadgen.py`) runs on core 1:

    .venv/bin/python bench/compare.py                       # all scenarios, all targets
    .venv/bin/python bench/compare.py --scale 0.1 --scenarios 1k,5k   # a quick look
    git worktree add /tmp/canvalo-baseline <commit>
    .venv/bin/python bench/compare.py --service-root baseline=/tmp/canvalo-baseline \\
        --service-root current=. --profile                  # before/after, side by side

Targets:
  bare-gevent     bench/bare_gevent.py: Flask, no auth, no store, gunicorn -k gevent
                  --worker-connections 10000 (the ceiling)
  fastapi         bench/bare_fastapi.py: the same frames on FastAPI + uvicorn (the peer)
  service         the service as deployed (gunicorn -c gunicorn.conf.py wsgi:app, one gevent
                  worker), SQLite store, offline model; `service@<label>` per --service-root
  service-redis   the same with its generation state on a redis-server of its own, pinned to
                  the server's core; Redis's CPU counts as the server's

Scenarios (a new chat every --interval-ms, 5 ms by default; one user per chat):
  1k      1,000 chats, answers lasting ~5 s: ~1,000 streams open at once
  5k      5,000 chats, answers lasting ~25 s: ~5,000 open at once
  hold8k  8,000 chats, answers lasting ~50 s: all 8,000 open together; the service's saved
          assistant rows are counted by status
  50k     50,000 short chats (answers ~1 s), service only by default: first byte of the
          first 1,000 chats against the last 1,000

The bare apps stream as many `token` events as the service's answer to the bench message
has (measured first with one stream against each service checkout), and every target's
word delay is set so its answer lasts the scenario's answer time. Metrics per target and
scenario: server CPU µs per streamed event (utime + stime of the server's process tree over
the scenario / events the client received), events/s per core (1e6 / µs per event) and the
ratio to bare-gevent, first byte and first token p50/p99, memory per open stream (worker RSS
at the most-open sample minus RSS before, / streams open then), peak open streams, errors,
events per stream, and the server's and the client's CPU use. Results: a JSON file (--out)
and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from bench import procfs  # noqa: E402
from bench.loadgen import DEFAULT_MESSAGE, DEFAULT_SECRET, WARMUP_USER, stream_once  # noqa: E402
from bench.server import (  # noqa: E402
    RedisProcess,
    free_port,
    server_env,
    start_server_at,
    wait_ready,
)

PY = sys.executable
#: The service itself: in memory, or with its generation state on a redis-server of its own
#: (pinned to the server's core; its CPU counts as the server's).
SERVICE_KINDS = ("service", "service-redis")
_REDIS_OF: dict[int, RedisProcess] = {}  # server pid -> its redis-server
SAVED_ROWS_SQL = (
    "SELECT status, COUNT(*) FROM agent_messages WHERE role='assistant' GROUP BY status"
)


@dataclass
class Scenario:
    name: str
    streams: int
    answer_s: float
    targets: str  # "all" or a comma list of target kinds/names
    head_tail: int = 0
    stream_timeout: float = 0.0

    def timeout(self) -> float:
        # Long enough to wait out a backlog (a server that caps its connections serves the
        # rest in waves) but bounded: the answer three times over plus two minutes.
        return self.stream_timeout or self.answer_s * 3 + 120


@dataclass
class Target:
    name: str  # "bare-gevent", "fastapi", "service@label"
    kind: str  # "bare-gevent", "fastapi", "service", "service-redis"
    root: Path = ROOT
    shape: dict = field(default_factory=dict)  # the measured answer (service only)


# -- process management -------------------------------------------------------------------

_STARTED: list[subprocess.Popen] = []


def spawn(cmd: list[str], **kwargs) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, **kwargs)
    _STARTED.append(proc)
    return proc


def stop(proc: subprocess.Popen, grace: float = 25.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; also kills what is left of its tree."""
    if proc.poll() is None:
        family = procfs.tree(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            for pid in family:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(10)
        for pid in family[1:]:  # a worker the master did not take down
            if procfs.parent_of(pid) is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    if proc in _STARTED:
        _STARTED.remove(proc)
    redis_server = _REDIS_OF.pop(proc.pid, None)
    if redis_server is not None:  # the server's own Redis goes with it
        stop(redis_server.process, grace=5)


def stop_everything() -> None:
    for proc in list(_STARTED):
        with contextlib.suppress(Exception):
            stop(proc, grace=5)


def on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pin_to(cpus: list[int]):
    return lambda: os.sched_setaffinity(0, cpus)


# -- servers -------------------------------------------------------------------------------


def start_target(
    target: Target, port: int, delay: float, tokens: int, texts: list[str], db: Path, log, cpu
) -> subprocess.Popen:
    if target.kind in SERVICE_KINDS:
        redis_server = RedisProcess(db.parent, [cpu]) if target.kind == "service-redis" else None
        shared = {"REDIS_URL": redis_server.url, "WEB_CONCURRENCY": "1"} if redis_server else {}
        # Titles on, as deployed (the testing configuration turns them off).
        env = server_env(
            port, db, DEFAULT_SECRET, OFFLINE_TOKEN_DELAY=f"{delay:.6f}",
            RATE_LIMIT_CHAT="1000000000 per minute", MODEL_TITLES="true", **shared,
        )  # fmt: skip
        proc = start_server_at(target.root, env, output=log, errors=subprocess.STDOUT, cpus=[cpu])
        _STARTED.append(proc)
        if redis_server:
            _STARTED.append(redis_server.process)
            _REDIS_OF[proc.pid] = redis_server
        return proc
    env = {
        **os.environ,
        "BARE_TOKENS": str(tokens),
        "BARE_TOKEN_DELAY": f"{delay:.6f}",
        "BARE_TOKEN_TEXTS": json.dumps(texts),
    }
    env.pop("GUNICORN_CMD_ARGS", None)
    if target.kind == "bare-gevent":
        cmd = [PY, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "10000",
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "bare_gevent:app"]  # fmt: skip
    else:
        cmd = [PY, "-m", "uvicorn", "bare_fastapi:app", "--host", "127.0.0.1", "--port",
               str(port), "--no-access-log", "--log-level", "warning", "--loop", "uvloop",
               "--http", "httptools", "--timeout-graceful-shutdown", "5"]  # fmt: skip
    # From bench/: gunicorn must not pick up the service's gunicorn.conf.py.
    return spawn(
        cmd, cwd=BENCH, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin_to([cpu])
    )


def worker_of(proc: subprocess.Popen, kind: str, timeout: float = 10.0) -> int:
    """The process that serves the streams: gunicorn's worker, or uvicorn itself."""
    if kind == "fastapi":
        return proc.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = procfs.children(proc.pid)
        if len(kids) == 1:
            return kids[0]
        time.sleep(0.1)
    raise RuntimeError(f"no single gunicorn worker under {proc.pid}")


def saved_rows(db: Path) -> dict | None:
    if not db.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
            return dict(conn.execute(SAVED_ROWS_SQL).fetchall())
    except sqlite3.Error as exc:
        return {"error": str(exc)}


def minus(after: dict | None, before: dict | None) -> dict | None:
    if after is None or "error" in after:
        return after
    before = before or {}
    out = {k: v - before.get(k, 0) for k, v in after.items()}
    return {k: v for k, v in out.items() if v}


def stop_generation(port: int, token: str, generation_id: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST",
            f"/api/chat/generations/{generation_id}/stop",
            headers={"Authorization": f"Bearer {token}"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def git_info(root: Path) -> dict:
    def git(*args):
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status), "root": str(root)}


def other_benchmarks() -> list[str]:
    """Other benchmark or test processes on this machine (not ours): they share the cores."""
    ours = set(procfs.tree(os.getpid())) | {os.getppid()}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in ours:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if any(m in cmd for m in ("compare.py", "loadgen.py", "pytest")):
            found.append(f"{entry}: {cmd[:160]}")
    return found


def minter(root: Path):
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from canvalo_app.auth import mint_dev_token

    return mint_dev_token


# -- how fast the server's core is right now ----------------------------------------------

CALIBRATION = """
import json, os, socket, sys, time
server_cpu, client_cpu = int(sys.argv[1]), int(sys.argv[2])
os.sched_setaffinity(0, {server_cpu})
data = {"type": "token", "content": "word ", "agent_type": "invoices"}
best = None
for _ in range(5):
    start = time.process_time()
    for n in range(20000):
        f"id: {n}\\nevent: token\\ndata: {json.dumps(data, separators=(',', ':'))}\\n\\n".encode()
    spent = time.process_time() - start
    best = spent if best is None else min(best, spent)
# Loopback ping-pong between the two cores: the cost of a wake-up across cores (syscalls,
# inter-processor interrupts), which a virtual machine's host can make slower or faster.
listener = socket.create_server(("127.0.0.1", 0))
child = os.fork()
if child == 0:
    os.sched_setaffinity(0, {client_cpu})
    echo = socket.create_connection(listener.getsockname())
    while chunk := echo.recv(64):
        echo.sendall(chunk)
    os._exit(0)
conn, _ = listener.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
rounds, cpu, wall = 3000, time.process_time(), time.perf_counter()
for _ in range(rounds):
    conn.sendall(b"x")
    conn.recv(64)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
conn.close()
os.waitpid(child, 0)
print(json.dumps({"python_ms": round(best * 1000, 2),
                  "loopback_rtt_us": round(wall / rounds * 1e6, 1),
                  "loopback_cpu_us": round(cpu / rounds * 1e6, 1)}))
"""


def calibrate(server_cpu: int, client_cpu: int) -> dict | None:
    """How fast the machine is right now: CPU ms of a fixed Python workload (SSE frames) on
    the server's core, best of 5, and a loopback round trip between the two cores. A shared
    or busy host shows up here, so runs can be put side by side."""
    result = subprocess.run(
        [PY, "-c", CALIBRATION, str(server_cpu), str(client_cpu)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    try:
        return json.loads(result.stdout)
    except ValueError:
        return None


# -- the answer the service gives ----------------------------------------------------------


def measure_answer(target: Target, message: str, workdir: Path, cpu: int) -> dict:
    """One full stream, no word delay: the events and tokens of the service's answer."""
    port = free_port()
    db = workdir / f"shape-{target.name.replace('@', '-')}.sqlite3"
    with open(workdir / f"shape-{target.name.replace('@', '-')}.log", "wb") as log:
        proc = start_target(target, port, 0.0, 0, [], db, log, cpu)
        try:
            if not wait_ready(port, 60):
                raise RuntimeError(f"{target.name} did not start (see {log.name})")
            token = minter(target.root)(DEFAULT_SECRET, WARMUP_USER)
            first = stream_once("127.0.0.1", port, token, message)
            again = stream_once("127.0.0.1", port, token, message)
        finally:
            stop(proc)
    if first["status"] != 200 or not first["events"]:
        raise RuntimeError(f"{target.name}: the measuring stream failed: {first}")
    events = again["events"]
    tokens = [e["data"].get("content", "") for e in events if e["type"] == "token"]
    return {
        "events": len(events),
        "tokens": len(tokens),
        "types": [e["type"] for e in events],
        "token_texts": tokens,
        "answer": "".join(tokens),
        "cold_seconds": first.get("seconds"),
        "warm_seconds": again.get("seconds"),
    }


# -- py-spy --------------------------------------------------------------------------------


def pyspy_path() -> str | None:
    local = Path(PY).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def pyspy_check(pid: int) -> tuple[bool, str]:
    exe = pyspy_path()
    if not exe:
        return False, "py-spy is not installed (pip install -r bench/requirements.txt)"
    last = ""
    for _ in range(3):
        result = subprocess.run(
            [exe, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30
        )
        if result.returncode == 0:
            return True, result.stdout.splitlines()[0] if result.stdout else "ok"
        last = (result.stderr or result.stdout).strip().splitlines()[:1]
        time.sleep(0.5)
    return False, f"py-spy cannot attach to {pid}: {last}"


def short_frame(frame: str, roots: list[Path]) -> str:
    """`func (/abs/path/file.py)` -> `func (package/file.py)`, relative to site-packages, the
    service checkout or the standard library."""
    func, _, path = frame.rpartition(" (")
    if not func:
        return frame
    path = path.rstrip(")")
    if "/site-packages/" in path:
        path = path.split("/site-packages/", 1)[1]
    else:
        for root in roots:
            if path.startswith(f"{root}/"):
                path = path[len(str(root)) + 1 :]
                break
        else:
            match = re.search(r"/lib/python3\.\d+/(.*)", path)
            path = match.group(1) if match else path
    return f"{func} ({path})"


def pyspy_summary(raw: Path, roots: list[Path], top: int = 20) -> dict:
    """Self and total % per frame (function + file) from py-spy's raw (collapsed) output, as
    shares of the samples in which the worker was on CPU (py-spy leaves idle ones out)."""
    self_counts: dict[str, int] = {}
    total_counts: dict[str, int] = {}
    file_self: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [short_frame(f, roots) for f in stack.split(";")]
        self_counts[frames[-1]] = self_counts.get(frames[-1], 0) + n
        leaf_file = frames[-1].rpartition(" (")[2].rstrip(")")
        file_self[leaf_file] = file_self.get(leaf_file, 0) + n
        for frame in set(frames):
            total_counts[frame] = total_counts.get(frame, 0) + n

    def ranked(counts, keep=lambda frame: True):
        items = sorted(((k, v) for k, v in counts.items() if keep(k)), key=lambda kv: -kv[1])
        return [
            {"frame": k, "pct": round(100 * v / samples, 1), "samples": v} for k, v in items[:top]
        ]

    def app(frame: str) -> bool:
        return "(canvalo_app/" in frame

    return {
        "samples": samples,
        "self": ranked(self_counts) if samples else [],
        "total": ranked(total_counts) if samples else [],
        "total_app": ranked(total_counts, app) if samples else [],
        "self_by_file": ranked(file_self) if samples else [],
    }


# -- one target, one scenario --------------------------------------------------------------


def word_delay(target: Target, scenario: Scenario, tokens: int) -> float:
    # The service sleeps between words (tokens - 1 pauses), the bare apps before each token.
    pauses = max(1, tokens - 1) if target.kind in SERVICE_KINDS else max(1, tokens)
    return scenario.answer_s / pauses


def run_one(
    target: Target, scenario: Scenario, args, bare: dict, workdir: Path, round_no: int = 1
) -> dict:
    tag = f"{scenario.name}-{target.name.replace('@', '-')}"
    tag += f"-r{round_no}" if args.rounds > 1 else ""
    port = free_port()
    db = workdir / f"{tag}.sqlite3"
    tokens = target.shape["tokens"] if target.kind in SERVICE_KINDS else bare["tokens"]
    delay = word_delay(target, scenario, tokens)
    result: dict = {
        "scenario": scenario.name,
        "target": target.name,
        "round": round_no,
        "streams": scenario.streams,
        "answer_s": scenario.answer_s,
        "word_delay_s": round(delay, 4),
        "tokens_per_answer": tokens,
        "server_cpu_core": args.server_cpu,
        "loadavg_before": os.getloadavg(),
    }
    result["other_benchmarks"] = other_benchmarks()
    result["calibration"] = calibrate(args.server_cpu, args.client_cpu)
    log_path = workdir / f"{tag}.server.log"
    load_out = workdir / f"{tag}.load.json"
    with open(log_path, "wb") as log:
        proc = start_target(target, port, delay, tokens, bare["texts"], db, log, args.server_cpu)
        profiler = None
        try:
            if not wait_ready(port, 60):
                raise RuntimeError(f"{target.name} did not start (see {log_path})")
            worker = worker_of(proc, target.kind)
            redis_server = _REDIS_OF.get(proc.pid)
            result["server_affinity"] = {p: procfs.affinity(p) for p in procfs.tree(proc.pid)}
            # Warm-up (imports, first-request work), outside the measurement: one chat up to
            # its first token; the service's is then stopped, the bare ones are dropped.
            token = minter(args.token_root)(DEFAULT_SECRET, WARMUP_USER)
            warm = stream_once("127.0.0.1", port, token, args.message, until_first_token=True)
            result["warmup_status"] = warm["status"]
            if target.kind in SERVICE_KINDS and warm["events"]:
                generation = warm["events"][0]["data"].get("generation_id")
                if generation:
                    result["warmup_stop_status"] = stop_generation(port, token, generation)
            time.sleep(1.0)
            rows_before = saved_rows(db) if target.kind in SERVICE_KINDS else None
            profiled = {t.strip() for t in args.profile_targets.split(",")}
            do_profile = (
                args.profile
                and scenario.name == args.profile_scenario
                and (target.kind in profiled or target.name in profiled)
            )
            if do_profile:
                ok, note = pyspy_check(worker)
                result["pyspy_attach"] = {"ok": ok, "note": note}
            deadline = scenario.streams * args.interval_ms / 1000 + scenario.timeout() + 30
            cmd = [
                PY, str(BENCH / "loadgen.py"), "--port", str(port),
                "--streams", str(scenario.streams), "--interval-ms", str(args.interval_ms),
                "--message", args.message, "--token-root", str(args.token_root),
                "--stream-timeout", str(scenario.timeout()), "--deadline", f"{deadline:.0f}",
                "--server-pid", str(proc.pid), "--rss-pid", str(worker),
                *(["--also-pid", str(redis_server.process.pid)] if redis_server else []),
                "--cpu", str(args.client_cpu), "--out", str(load_out),
                "--head-tail", str(scenario.head_tail),
            ]  # fmt: skip
            redis_before = redis_server.counters() if redis_server else None
            started = time.monotonic()
            load = spawn(cmd, cwd=ROOT)
            if do_profile and result["pyspy_attach"]["ok"]:
                # In the middle of the scenario: arrivals end at streams * interval, the
                # last answers about answer_s later.
                span = scenario.streams * args.interval_ms / 1000 + scenario.answer_s
                at = max(1.0, span / 2 - args.profile_seconds / 2)
                time.sleep(max(0.0, at - (time.monotonic() - started)))
                raw = workdir / f"{tag}.pyspy.txt"
                profiler = spawn(
                    [pyspy_path(), "record", "--pid", str(worker), "--duration",
                     str(args.profile_seconds), "--rate", "100", "--format", "raw",
                     "--nolineno", "--full-filenames", "--output", str(raw)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    preexec_fn=pin_to([args.client_cpu]),
                )  # fmt: skip
                result["pyspy_started_at_s"] = round(time.monotonic() - started, 1)
            try:
                load.wait(deadline + 120)
            except subprocess.TimeoutExpired:
                stop(load, grace=5)
                raise RuntimeError(
                    f"the load client overran its deadline ({deadline:.0f} s)"
                ) from None
            if load in _STARTED:
                _STARTED.remove(load)
            if profiler is not None:
                profiler.wait(args.profile_seconds + 60)
                _STARTED.remove(profiler)
                if raw.exists():
                    result["profile"] = pyspy_summary(raw, [target.root, ROOT])
                    result["profile"]["raw"] = str(raw)
            if load.returncode != 0 or not load_out.exists():
                raise RuntimeError(f"the load client failed (exit {load.returncode})")
            result["load"] = json.loads(load_out.read_text())
            if redis_server:
                after = redis_server.counters()
                result["redis"] = {key: after[key] - redis_before[key] for key in after}
            result["worker_restarted"] = worker not in result["load"]["client"].get(
                "server_tree_after", [worker]
            )
            if target.kind in SERVICE_KINDS:
                time.sleep(0.5)
                at_end = saved_rows(db)
                result["saved_rows_at_end"] = minus(at_end, rows_before)
        finally:
            if profiler is not None and profiler.poll() is None:
                stop(profiler, grace=5)
            stop(proc)
    if target.kind in SERVICE_KINDS:
        result["saved_rows_after_shutdown"] = minus(saved_rows(db), rows_before)
    result["server_log"] = str(log_path)
    return derive(result)


def derive(result: dict) -> dict:
    load = result["load"]
    events = load["events"]
    cpu = load.get("server_cpu_s")
    if events and cpu:
        result["us_per_event"] = round(cpu * 1e6 / events, 1)
        result["events_per_s_per_core"] = round(1e6 / result["us_per_event"])
    if load["started"] and cpu:
        result["ms_per_chat"] = round(cpu * 1e3 / load["started"], 2)
    # What else ran on the server's core meanwhile (other processes, and kernel network work
    # not charged to the server), and what the hypervisor took: noise indicators.
    core = (load.get("cores_s") or {}).get(str(result.get("server_cpu_core")))
    if core and cpu is not None:
        result["server_core_others_s"] = round(core["user"] + core["system"] - cpu, 2)
        result["server_core_irq_s"] = core["irq"]
        result["server_core_steal_s"] = core["steal"]
    return result


# -- output --------------------------------------------------------------------------------


def fmt(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def pair(dist: dict | None, scale: float = 1.0, digits: int = 0) -> str:
    if not dist:
        return "–"
    return f"{fmt(dist['p50'] * scale, digits)} / {fmt(dist['p99'] * scale, digits)}"


def ms_pair(dist: dict | None) -> str:
    if not dist:
        return "–"
    big = dist["p99"] >= 10_000
    return pair(dist, 1 / 1000, 1) + " s" if big else pair(dist, 1, 0 if dist["p50"] >= 10 else 1)


def speed_check(calibration: dict | None) -> str:
    if not calibration:
        return "–"
    return f"{calibration['python_ms']:.0f} ms / {calibration['loopback_rtt_us']:.0f} µs"


def client_limited(load: dict) -> bool:
    """Whether the load client, not the server, may have set the pace of a run."""
    lag = (load.get("lag_ms") or {}).get("p99") or 0
    busy = [s["client_cpu"] for s in load.get("samples", [])[:-1]]  # the last: teardown
    return lag > 50 or load.get("throttled_s", 0) > 0 or (max(busy) if busy else 0) > 0.8


def markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [
        f"Measured {meta['date']} on {meta['machine']}; server pinned to core "
        f"{meta['server_cpu']}, load client to core {meta['client_cpu']}; a new chat every "
        f'{meta["interval_ms"]} ms; message "{meta["message"]}".',
        "",
    ]
    for name, target in meta["targets"].items():
        extra = ""
        if target["kind"] not in SERVICE_KINDS:
            extra = (
                f" — answer: {meta['bare_tokens'] + 2} events (start, "
                f"{meta['bare_tokens']} tokens, complete)"
            )
        if target.get("git"):
            git = target["git"]
            extra = f" — {git['root']} @ {(git['commit'] or '?')[:10]}"
            extra += " (uncommitted changes)" if git["dirty"] else ""
        if target.get("shape"):
            shape = target["shape"]
            extra += (
                f"; answer: {shape['events']} events, {shape['tokens']} tokens "
                f'("{shape["answer"]}")'
            )
        lines.append(f"* `{name}`{extra}")
    lines += [
        "",
        "| scenario | target | streams | peak open | errors | events / stream "
        "| server µs / event | events/s per core | vs bare-gevent | server ms / chat "
        "| first byte p50 / p99 | first token p50 / p99 | KB / open stream "
        "| server CPU | client CPU avg / max | speed check |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["results"]:
        if "load" not in row:
            lines.append(
                f"| {row['scenario']} | {row['target']} | {fmt(row['streams'])} "
                f"| failed: {row.get('failure', '?')} |" + " |" * 12
            )
            continue
        load = row["load"]
        flag = " ⚠" if client_limited(load) else ""
        lines.append(
            "| "
            + " | ".join(
                [
                    row["scenario"] + (f" #{row['round']}" if meta.get("rounds", 1) > 1 else ""),
                    f"`{row['target']}`{flag}",
                    fmt(row["streams"]),
                    fmt(load["peak_open"]),
                    fmt(load["errors"]),
                    fmt(load["events_per_stream"], 1),
                    fmt(row.get("us_per_event"), 1),
                    fmt(row.get("events_per_s_per_core")),
                    f"{row['vs_bare_gevent']:.2f}×" if row.get("vs_bare_gevent") else "–",
                    fmt(row.get("ms_per_chat"), 2),
                    ms_pair(load["first_byte_ms"]),
                    ms_pair(load["first_token_ms"]),
                    fmt(load.get("kb_per_open_stream"), 1),
                    f"{100 * (load['server_cpu_util'] or 0):.0f} %",
                    f"{100 * load['client_cpu_util']:.0f} / "
                    f"{100 * load.get('client_cpu_util_max', 0):.0f} %",
                    speed_check(row.get("calibration")),
                ]
            )
            + " |"
        )
    delays = "; ".join(
        f"{r['scenario']} `{r['target']}` {r['word_delay_s']} s"
        for r in report["results"]
        if "word_delay_s" in r
    )
    lines += [
        "",
        "First byte and first token in ms from each chat's scheduled start (so time spent in "
        "the listen backlog counts). Server µs per event: utime + stime of the server's "
        "process tree over the scenario / events the client received (pings not counted); "
        "ms per chat: the same CPU / chats. Server CPU: share of one core over the scenario; "
        "client CPU: the load client's own, average and busiest sample. The bare apps sleep "
        "the word delay before every token, the first one included, so their first token "
        "comes one word delay after the first byte; the service streams its first word at "
        "once after its tool call and pauses between words. Word delays: " + delays + ".",
    ]
    if report.get("medians"):
        lines += [
            "",
            "Over the rounds, median (min–max):",
            "",
            "| scenario | target | runs | server µs / event | vs bare-gevent | first byte p99 |",
            "|---|---|---|---|---|---|",
        ]
        for m in report["medians"]:
            us, vs, p99 = m["us_per_event"], m["vs_bare_gevent"], m["first_byte_p99_ms"]
            lines.append(
                f"| {m['scenario']} | `{m['target']}` | {m['runs']} "
                f"| {us[0]:,.1f} ({us[1]:,.1f}–{us[2]:,.1f}) "
                + (f"| {vs[0]:.2f}× ({vs[1]:.2f}–{vs[2]:.2f}) " if vs else "| – ")
                + (f"| {p99[0]:,.0f} ({p99[1]:,.0f}–{p99[2]:,.0f}) ms |" if p99 else "| – |")
            )
    speed = [r["calibration"] for r in report["results"] if r.get("calibration")]
    if speed:
        python = [c["python_ms"] for c in speed]
        rtt = [c["loopback_rtt_us"] for c in speed]
        lines += [
            "",
            f"Speed checks before each run (lower is faster): a fixed Python workload on the "
            f"server's core {min(python):.1f}–{max(python):.1f} ms; a loopback round trip "
            f"between the two cores {min(rtt):.0f}–{max(rtt):.0f} µs.",
        ]
    noisy = [
        r
        for r in report["results"]
        if "load" in r
        and (r.get("server_core_others_s") or 0) + (r.get("server_core_steal_s") or 0)
        > max(0.5, 0.05 * r["load"]["wall_s"])
    ]
    if noisy:
        lines += ["", "⚠ Something else ran on the server's core during these runs:", ""]
        for row in noisy:
            lines.append(
                f"* {row['scenario']} `{row['target']}`: other processes "
                f"{row['server_core_others_s']} s, stolen {row['server_core_steal_s']} s, "
                f"over {row['load']['wall_s']} s (the server itself: "
                f"{row['load']['server_cpu_s']} s)"
            )
    limited = [r for r in report["results"] if "load" in r and client_limited(r["load"])]
    if limited:
        lines += ["", "⚠ The load client may have held these runs back:", ""]
        for row in limited:
            load = row["load"]
            lines.append(
                f"* {row['scenario']} `{row['target']}`: client CPU max "
                f"{100 * load.get('client_cpu_util_max', 0):.0f} %, start lag p99 "
                f"{load['lag_ms']['p99'] if load.get('lag_ms') else '–'} ms, "
                f"{load.get('throttled_s', 0)} s waiting for its in-flight cap "
                f"({load.get('max_inflight')}), peak in flight {load['peak_inflight']}"
            )
    errors = [r for r in report["results"] if r.get("load", {}).get("error_kinds")]
    if errors:
        lines += ["", "Errors by kind:", ""]
        for row in errors:
            kinds = ", ".join(f"{k}: {v}" for k, v in row["load"]["error_kinds"].items())
            lines.append(f"* {row['scenario']} `{row['target']}`: {kinds}")
    saved = [r for r in report["results"] if "saved_rows_at_end" in r]
    if saved:
        lines += [
            "",
            "Assistant rows saved by the service, by status (at the end of the scenario; "
            "after the server's shutdown):",
            "",
            "| scenario | target | at end | after shutdown |",
            "|---|---|---|---|",
        ]
        for row in saved:
            lines.append(
                f"| {row['scenario']} | `{row['target']}` | {row['saved_rows_at_end']} "
                f"| {row.get('saved_rows_after_shutdown')} |"
            )
    heads = [r for r in report["results"] if r.get("load", {}).get("head_tail")]
    if heads:
        lines += [
            "",
            "Steady arrivals: the first chats against the last (ms from the scheduled start):",
            "",
            "| scenario | target | chats | first byte p50 / p99, first | last "
            "| first token p50 / p99, first | last | failed first / last |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in heads:
            ht = row["load"]["head_tail"]
            lines.append(
                f"| {row['scenario']} | `{row['target']}` | {fmt(ht['size'])} each "
                f"| {ms_pair(ht['first_byte_first_ms'])} | {ms_pair(ht['first_byte_last_ms'])} "
                f"| {ms_pair(ht['first_token_first_ms'])} "
                f"| {ms_pair(ht['first_token_last_ms'])} "
                f"| {ht['errors_first']} / {ht['errors_last']} |"
            )
    for row in report["results"]:
        if row.get("pyspy_attach") and not row["pyspy_attach"]["ok"]:
            lines += ["", f"py-spy could not attach: {row['pyspy_attach']['note']}"]
        profile = row.get("profile")
        if not profile or not profile["samples"]:
            continue
        lines += profile_table(
            profile,
            f"py-spy, `{row['target']}` worker, {row['scenario']} scenario, "
            f"from {row.get('pyspy_started_at_s')} s "
            f"({profile['samples']} samples at 100 Hz over "
            f"{meta['profile_seconds']} s, idle excluded):",
        )
    return "\n".join(lines)


def profile_table(profile: dict, title: str) -> list[str]:
    """A py-spy summary as markdown: the top frames by self time beside the service's frames
    by total time."""
    lines = [
        "",
        title,
        "",
        "| self % | frame (self) | | total % | service frame (self + callees) |",
        "|---|---|---|---|---|",
    ]
    app = profile.get("total_app") or profile["total"]
    for own, total in zip(profile["self"][:15], app[:15], strict=False):
        lines.append(f"| {own['pct']} | `{own['frame']}` | | {total['pct']} | `{total['frame']}` |")
    return lines


# -- main ----------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )  # fmt: skip
    parser.add_argument(
        "--targets", default="bare-gevent,fastapi,service",
        help="comma list of bare-gevent, fastapi, service (every --service-root), "
        "service@LABEL, service-redis",
    )  # fmt: skip
    parser.add_argument(
        "--service-root", action="append", default=[], metavar="[LABEL=]PATH",
        help="a checkout to run the service from, as service@LABEL (repeatable; default: "
        "this checkout, as `service`)",
    )  # fmt: skip
    parser.add_argument("--scenarios", default="1k,5k,hold8k,50k")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every stream count")
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="run every scenario this many times, the targets' order alternating, and add "
        "medians (a shared or virtual host's speed drifts: see the speed checks)",
    )  # fmt: skip
    parser.add_argument("--interval-ms", type=float, default=5.0, help="between new chats")
    for name, streams, answer in (("1k", 1000, 5.0), ("5k", 5000, 25.0),
                                  ("hold8k", 8000, 50.0), ("50k", 50000, 1.0)):  # fmt: skip
        parser.add_argument(f"--streams-{name}", type=int, default=streams)
        parser.add_argument(f"--answer-{name}", type=float, default=answer, help="seconds")
    parser.add_argument("--targets-50k", default="service", help="targets of 50k ('all')")
    parser.add_argument("--head-tail-50k", type=int, default=1000)
    parser.add_argument("--message", default=DEFAULT_MESSAGE)
    parser.add_argument("--bare-tokens", type=int, help="token events per bare answer "
                        "(default: as many as the service's answer)")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="py-spy the service in 5k")
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument("--profile-scenario", default="5k")
    parser.add_argument(
        "--profile-targets", default="service", help="comma list of target kinds or names"
    )
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--out", help="JSON results (default /tmp/canvalo-bench-<time>.json)")
    parser.add_argument("--workdir", help="logs, databases, raw results (default: a temp dir)")
    return parser.parse_args(argv)


def targets_from(args) -> list[Target]:
    roots: list[tuple[str, Path]] = []
    for spec in args.service_root:
        label, sep, path = spec.partition("=")
        if not sep:
            label, path = "", spec
        root = Path(path).resolve()
        if not (root / "gunicorn.conf.py").exists() or not (root / "wsgi.py").exists():
            raise SystemExit(f"--service-root {root}: no gunicorn.conf.py / wsgi.py there")
        roots.append((label or root.name, root))
    services = (
        [Target(f"service@{label}", "service", root) for label, root in roots]
        if roots
        else [Target("service", "service", ROOT)]
    )
    chosen: list[Target] = []
    for name in [t.strip() for t in args.targets.split(",") if t.strip()]:
        if name in ("bare-gevent", "fastapi"):
            chosen.append(Target(name, name))
        elif name == "service":
            chosen += services
        elif name == "service-redis":
            chosen.append(Target(name, name, ROOT))
        elif name in {t.name for t in services}:
            chosen += [t for t in services if t.name == name]
        else:
            raise SystemExit(f"unknown target {name}")
    return chosen


def scenarios_from(args) -> list[Scenario]:
    out = []
    for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
        key = name.replace("-", "_")
        if not hasattr(args, f"streams_{key}"):
            raise SystemExit(f"unknown scenario {name}")
        streams = max(1, round(getattr(args, f"streams_{key}") * args.scale))
        answer = getattr(args, f"answer_{key}")
        if name == "50k":
            head_tail = min(args.head_tail_50k, streams // 2)
            out.append(Scenario(name, streams, answer, args.targets_50k, head_tail, 120.0))
        else:
            out.append(Scenario(name, streams, answer, "all"))
    return out


def applies(scenario: Scenario, target: Target) -> bool:
    if scenario.targets == "all":
        return True
    wanted = {t.strip() for t in scenario.targets.split(",")}
    return target.kind in wanted or target.name in wanted


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_signal)
    os.sched_setaffinity(0, {args.client_cpu})
    targets = targets_from(args)
    scenarios = scenarios_from(args)
    services = [t for t in targets if t.kind == "service"]
    args.token_root = services[0].root if services else ROOT
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or f"/tmp/canvalo-bench-{stamp}.json")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="canvalo-compare-"))
    workdir.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    report: dict = {"meta": {}, "results": []}
    others = other_benchmarks()
    if others:
        print("warning: other benchmark/test processes are running and share the cores:\n  "
              + "\n  ".join(others), file=sys.stderr, flush=True)  # fmt: skip
    try:
        shapes = {}
        for target in services or [Target("service", "service", ROOT)]:
            print(f"measuring the answer of {target.name} …", file=sys.stderr, flush=True)
            target.shape = measure_answer(target, args.message, workdir, args.server_cpu)
            shapes[target.name] = target.shape
        reference = next(iter(shapes.values()))
        for target in targets:
            if target.kind == "service-redis":  # the same answer, from the same checkout
                target.shape = reference
        tokens = args.bare_tokens or reference["tokens"]
        texts = reference["token_texts"] if not args.bare_tokens else ["word "]
        bare = {"tokens": tokens, "texts": texts}
        report["meta"] = {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} vCPU ({platform.processor() or platform.machine()}), "
            f"Linux {platform.release()}, Python {platform.python_version()}",
            "versions": versions(),
            "server_cpu": args.server_cpu,
            "client_cpu": args.client_cpu,
            "interval_ms": args.interval_ms,
            "message": args.message,
            "bare_tokens": tokens,
            "bare_events": tokens + 2,
            "rounds": args.rounds,
            "profile_seconds": args.profile_seconds,
            "workdir": str(workdir),
            "other_benchmarks_at_start": others,
            "loadavg_at_start": os.getloadavg(),
            "argv": sys.argv[1:] if argv is None else argv,
            "scenarios": [vars(s) | {"stream_timeout_s": s.timeout()} for s in scenarios],
            "targets": {
                t.name: {"kind": t.kind}
                | ({"git": git_info(t.root), "shape": t.shape} if t.kind in SERVICE_KINDS else {})
                for t in targets
            },
        }
        # Rounds alternate the order of the targets, so a host that speeds up or slows down
        # during a scenario does not favour one of them.
        plan = [
            (scenario, n + 1, target)
            for scenario in scenarios
            for n in range(args.rounds)
            for target in (targets if n % 2 == 0 else targets[::-1])
            if applies(scenario, target)
        ]
        for scenario, round_no, target in plan:
            print(
                f"[{time.monotonic() - began:6.0f} s] {scenario.name}: {target.name}, "
                f"{scenario.streams} chats"
                + (f", round {round_no}/{args.rounds}" if args.rounds > 1 else "")
                + " …",
                file=sys.stderr,
                flush=True,
            )
            try:
                row = run_one(target, scenario, args, bare, workdir, round_no)
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - one failed run does not end the rest
                row = {"scenario": scenario.name, "target": target.name, "round": round_no,
                       "streams": scenario.streams, "failure": str(exc)}  # fmt: skip
                print(f"  failed: {exc}", file=sys.stderr, flush=True)
            report["results"].append(row)
            if "load" in row:
                load = row["load"]
                print(
                    f"  {load['ok']}/{row['streams']} ok, peak open {load['peak_open']}, "
                    f"{row.get('us_per_event')} µs/event, "
                    f"client CPU {100 * load['client_cpu_util']:.0f} % "
                    f"(max {100 * load.get('client_cpu_util_max', 0):.0f} %)",
                    file=sys.stderr,
                    flush=True,
                )
            out.write_text(json.dumps(report, indent=1, default=str))
    except KeyboardInterrupt:
        print("interrupted: stopping every server", file=sys.stderr)
        return_code = 130
    else:
        return_code = 0
    finally:
        stop_everything()
    ratios(report["results"])
    if args.rounds > 1:
        report["medians"] = medians(report["results"])
    report["meta"]["total_seconds"] = round(time.monotonic() - began, 1)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(markdown(report))
    print(f"\nJSON: {out}\nlogs and raw results: {workdir}", file=sys.stderr)
    return return_code


def ratios(results: list[dict]) -> None:
    """Each run against bare-gevent in the same scenario and round."""
    ceiling = {
        (r["scenario"], r.get("round", 1)): r.get("events_per_s_per_core")
        for r in results
        if r["target"] == "bare-gevent"
    }
    for r in results:
        key = (r["scenario"], r.get("round", 1))
        if r.get("events_per_s_per_core") and ceiling.get(key):
            r["vs_bare_gevent"] = round(r["events_per_s_per_core"] / ceiling[key], 3)


def medians(results: list[dict]) -> list[dict]:
    """Per scenario and target over the rounds: median (min, max) of the per-event numbers."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        if r.get("us_per_event"):
            groups.setdefault((r["scenario"], r["target"]), []).append(r)
    out = []
    for (scenario, target), rows in groups.items():
        us = [r["us_per_event"] for r in rows]
        vs = [r["vs_bare_gevent"] for r in rows if r.get("vs_bare_gevent")]
        p99 = [r["load"]["first_byte_ms"]["p99"] for r in rows if r["load"].get("first_byte_ms")]
        out.append(
            {
                "scenario": scenario,
                "target": target,
                "runs": len(rows),
                "us_per_event": [statistics.median(us), min(us), max(us)],
                "vs_bare_gevent": [statistics.median(vs), min(vs), max(vs)] if vs else None,
                "first_byte_p99_ms": [statistics.median(p99), min(p99), max(p99)] if p99 else None,
            }
        )
    return out


def versions() -> dict:
    from importlib import metadata

    out = {}
    for name in ("gunicorn", "gevent", "greenlet", "Flask", "fastapi", "starlette", "uvicorn",
                 "uvloop", "httptools", "py-spy"):  # fmt: skip
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


if __name__ == "__main__":
    sys.exit(main())
