"""Scaling benchmark: one worker with its state in memory against two workers on Redis.

    .venv/bin/python bench/scaling.py                        # both scenarios, both setups
    .venv/bin/python bench/scaling.py --scale 0.1 --scenarios hold   # a quick look

Setups (the service as deployed, SQLite store, offline model):
  memory-1w       no REDIS_URL: one gevent worker, pinned to core 0
  redis-1w        REDIS_URL, one worker and the redis-server pinned to core 0 (the cost of
                  the Redis engine alone)
  redis-2w        REDIS_URL and WEB_CONCURRENCY=2: two gevent workers and a redis-server
                  of the benchmark's own, all free to use both cores
  redis-2w-flush1 as redis-2w with CONTENT_FLUSH_SECONDS=1 (the in-memory default), to
                  show what the longer flush interval saves (hold only, with --flush-check)

The load client (bench/loadgen.py) runs on core 1. With two cores, two workers and Redis
share the client's core, so redis-2w has less than two whole cores to itself; the table says
how much CPU the client and Redis took.

Scenarios:
  hold  8,000 chats, a new one every 5 ms, answers lasting ~50 s: all open together.
        Errors, peak open streams, assistant rows by status, server CPU (workers + Redis)
        per streamed token, Redis bytes in and out per token, memory per open stream.
  rate  new chats per second at a first-byte p95 of at most 250 ms: steps of rising arrival
        rates (each --rate-seconds long, answers of ~1 s) on one server, up to the first
        step whose first-byte p95 is over 250 ms or that has an error.

A py-spy profile of a worker in the middle of hold (--profile) says where the time goes.
Results: JSON (--out) and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from bench import compare, procfs  # noqa: E402
from bench.loadgen import DEFAULT_MESSAGE, DEFAULT_SECRET, WARMUP_USER, stream_once  # noqa: E402
from bench.server import (  # noqa: E402
    RedisProcess,
    free_port,
    server_env,
    start_server_at,
    wait_ready,
)

PY = sys.executable
SETUPS = {
    "memory-1w": {"workers": 1, "redis": False, "cpus": [0], "env": {}},
    "redis-1w": {"workers": 1, "redis": True, "cpus": [0], "env": {}},
    "redis-2w": {"workers": 2, "redis": True, "cpus": [0, 1], "env": {}},
    "redis-2w-flush1": {
        "workers": 2, "redis": True, "cpus": [0, 1], "env": {"CONTENT_FLUSH_SECONDS": "1"},
    },
}  # fmt: skip
FIRST_BYTE_P95_MS = 250.0


class Server:
    """The service under one setup: gunicorn, its workers, and Redis when it uses it."""

    def __init__(self, name: str, workdir: Path, tag: str, delay: float):
        setup = SETUPS[name]
        self.name, self.setup = name, setup
        self.port = free_port()
        self.db = workdir / f"{tag}.sqlite3"
        self.redis = RedisProcess(workdir, setup["cpus"]) if setup["redis"] else None
        if self.redis:
            compare._STARTED.append(self.redis.process)
        env = server_env(
            self.port, self.db, DEFAULT_SECRET, OFFLINE_TOKEN_DELAY=f"{delay:.6f}",
            RATE_LIMIT_CHAT="1000000000 per minute", WEB_CONCURRENCY=str(setup["workers"]),
            **({"REDIS_URL": self.redis.url} if self.redis else {}), **setup["env"],
        )  # fmt: skip
        env.pop("GUNICORN_CMD_ARGS", None)
        self.log = open(workdir / f"{tag}.server.log", "wb")  # noqa: SIM115  (closed in stop)
        self.process = start_server_at(ROOT, env, output=self.log, cpus=setup["cpus"])
        compare._STARTED.append(self.process)
        if not wait_ready(self.port, 60):
            self.stop()
            raise RuntimeError(f"{name} did not start (see {self.log.name})")
        self.workers = self._workers(setup["workers"])

    def _workers(self, count: int) -> list[int]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            kids = procfs.children(self.process.pid)
            if len(kids) == count:
                return kids
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: expected {count} worker(s)")

    def warm_up(self, message: str) -> None:
        """A first chat per worker (imports, first-request work), outside the measurement."""
        token = compare.minter(ROOT)(DEFAULT_SECRET, WARMUP_USER)
        for _ in range(4 * len(self.workers)):  # new connections: every worker gets some
            warm = stream_once("127.0.0.1", self.port, token, message, until_first_token=True)
            if warm["events"]:
                generation = warm["events"][0]["data"]["generation_id"]
                compare.stop_generation(self.port, token, generation)

    def stop(self) -> None:
        compare.stop(self.process)
        if self.redis:
            compare.stop(self.redis.process, grace=5)
        self.log.close()


def load(server: Server, streams: int, interval_ms: float, timeout: float, out: Path, args):
    deadline = streams * interval_ms / 1000 + timeout + 30
    cmd = [
        PY, str(BENCH / "loadgen.py"), "--port", str(server.port), "--streams", str(streams),
        "--interval-ms", str(interval_ms), "--message", args.message, "--token-root", str(ROOT),
        "--stream-timeout", str(timeout), "--deadline", f"{deadline:.0f}",
        "--server-pid", str(server.process.pid), "--cpu", str(args.client_cpu),
        "--out", str(out), "--user-offset", str(take_users(streams)),
        *[arg for pid in server.workers for arg in ("--rss-pid", str(pid))],
    ]  # fmt: skip
    proc = compare.spawn(cmd, cwd=ROOT)
    proc.wait(deadline + 120)
    compare._STARTED.remove(proc)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"the load client failed (exit {proc.returncode})")
    return json.loads(out.read_text())


_users = [0]


def take_users(count: int) -> int:
    """The first of `count` user numbers no earlier chat had: one user per chat."""
    first = _users[0]
    _users[0] += count
    return first


def hold(name: str, args, shape: dict, workdir: Path) -> dict:
    streams = max(1, round(args.hold_streams * args.scale))
    delay = args.hold_answer / max(1, shape["tokens"] - 1)
    server = Server(name, workdir, f"hold-{name}", delay)
    result: dict = {"scenario": "hold", "setup": name, "streams": streams, "word_delay_s": delay}
    try:
        server.warm_up(args.message)
        time.sleep(1)
        rows_before = compare.saved_rows(server.db)
        redis_before = server.redis.counters() if server.redis else None
        result["calibration"] = compare.calibrate(0, args.client_cpu)
        profiler = None
        if args.profile:
            raw = workdir / f"hold-{name}.pyspy.txt"
            at = streams * args.interval_ms / 1000 * 0.9
            profiler = subprocess.Popen(
                ["sh", "-c", f"sleep {at:.1f}; exec {compare.pyspy_path()} record --pid "
                 f"{server.workers[0]} --duration {args.profile_seconds} --rate 100 --format raw "
                 f"--nolineno --full-filenames --output {raw}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=compare.pin_to([args.client_cpu]),
            )  # fmt: skip
        timeout = args.hold_answer * 3 + 120
        result["load"] = load(
            server, streams, args.interval_ms, timeout, workdir / f"hold-{name}.json", args
        )
        if profiler is not None:
            profiler.wait(args.profile_seconds + 120)
            if raw.exists():
                result["profile"] = compare.pyspy_summary(raw, [ROOT])
        time.sleep(0.5)
        result["saved_rows"] = compare.minus(compare.saved_rows(server.db), rows_before)
        if server.redis:
            after = server.redis.counters()
            result["redis"] = {
                key: round(after[key] - redis_before[key], 3)
                for key in ("cpu_s", "in_bytes", "out_bytes", "commands", "used_memory_peak")
            }
    finally:
        server.stop()
    return per_token(result, shape)


def per_token(result: dict, shape: dict) -> dict:
    loaded = result["load"]
    tokens = loaded["ok"] * shape["tokens"]
    result["tokens"] = tokens
    if not tokens:
        return result
    redis_stats = result.get("redis") or {}
    cpu = (loaded["server_cpu_s"] or 0) + redis_stats.get("cpu_s", 0)
    result["cpu_us_per_token"] = round(cpu * 1e6 / tokens, 1)
    result["cpu_us_per_event"] = round(cpu * 1e6 / max(1, loaded["events"]), 1)
    if redis_stats:
        result["redis_cpu_us_per_token"] = round(redis_stats["cpu_s"] * 1e6 / tokens, 1)
        moved = redis_stats["in_bytes"] + redis_stats["out_bytes"]
        result["redis_bytes_per_token"] = round(moved / tokens, 1)
        result["redis_commands_per_chat"] = round(redis_stats["commands"] / loaded["ok"], 1)
        if loaded["peak_open"]:
            result["redis_kb_per_open_stream"] = round(
                redis_stats["used_memory_peak"] / 1024 / loaded["peak_open"], 1
            )
    return result


def rate(name: str, args, shape: dict, workdir: Path) -> dict:
    """Rising arrival rates on one server, up to the first step over the first-byte p95."""
    delay = args.rate_answer / max(1, shape["tokens"] - 1)
    server = Server(name, workdir, f"rate-{name}", delay)
    steps, best = [], None
    try:
        server.warm_up(args.message)
        for per_second in args.rates:
            streams = max(10, round(per_second * args.rate_seconds * args.scale))
            out = workdir / f"rate-{name}-{per_second}.json"
            loaded = load(server, streams, 1000 / per_second, args.rate_answer * 3 + 30, out, args)
            p95 = (loaded["first_byte_ms"] or {}).get("p95")
            step = {
                "per_second": per_second,
                "streams": streams,
                "errors": loaded["errors"],
                "first_byte_ms": loaded["first_byte_ms"],
                "server_cpu_util": loaded["server_cpu_util"],
                "client_cpu_util": loaded["client_cpu_util"],
                "lag_p99_ms": (loaded.get("lag_ms") or {}).get("p99"),
            }
            steps.append(step)
            print(f"  {name} {per_second}/s: p95 {p95} ms, errors {loaded['errors']}",
                  file=sys.stderr, flush=True)  # fmt: skip
            if loaded["errors"] or p95 is None or p95 > FIRST_BYTE_P95_MS:
                break
            best = per_second
            time.sleep(args.rate_answer + 2)  # the step's last answers end
    finally:
        server.stop()
    return {"scenario": "rate", "setup": name, "steps": steps, "chats_per_s": best}


def markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [
        f"Measured {meta['date']}; {meta['machine']}; load client on core {meta['client_cpu']}; "
        f'message "{meta["message"]}" ({meta["tokens"]} tokens, {meta["events"]} events).',
        "",
        "| setup | streams | peak open | errors | rows by status | server + Redis µs / token "
        "| of which Redis | Redis bytes / token | Redis commands / chat "
        "| KB / open stream (workers + Redis) "
        "| first byte p50 / p99 | server CPU | client CPU | speed check |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["results"]:
        if row["scenario"] != "hold" or "load" not in row:
            continue
        loaded = row["load"]
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{row['setup']}`",
                    compare.fmt(row["streams"]),
                    compare.fmt(loaded["peak_open"]),
                    compare.fmt(loaded["errors"]),
                    str(row.get("saved_rows")),
                    compare.fmt(row.get("cpu_us_per_token"), 1),
                    compare.fmt(row.get("redis_cpu_us_per_token"), 1),
                    compare.fmt(row.get("redis_bytes_per_token"), 0),
                    compare.fmt(row.get("redis_commands_per_chat"), 1),
                    f"{compare.fmt(loaded.get('kb_per_open_stream'), 1)}"
                    + (
                        f" + {row['redis_kb_per_open_stream']}"
                        if row.get("redis_kb_per_open_stream")
                        else ""
                    ),
                    compare.ms_pair(loaded["first_byte_ms"]),
                    f"{100 * (loaded['server_cpu_util'] or 0):.0f} %",
                    f"{100 * loaded['client_cpu_util']:.0f} %",
                    compare.speed_check(row.get("calibration")),
                ]
            )
            + " |"
        )
    rates = [row for row in report["results"] if row["scenario"] == "rate"]
    if rates:
        lines += [
            "",
            f"New chats per second at a first-byte p95 ≤ {FIRST_BYTE_P95_MS:.0f} ms "
            "(each step: first byte p50 / p95 / p99 ms, errors, server and client CPU):",
            "",
            "| setup | chats / s | steps |",
            "|---|---|---|",
        ]
        for row in rates:
            steps = "; ".join(
                f"{s['per_second']}/s: {s['first_byte_ms']['p50']:.0f} / "
                f"{s['first_byte_ms']['p95']:.0f} / {s['first_byte_ms']['p99']:.0f}, "
                f"{s['errors']} err, {100 * (s['server_cpu_util'] or 0):.0f} % / "
                f"{100 * s['client_cpu_util']:.0f} %"
                for s in row["steps"]
                if s["first_byte_ms"]
            )
            lines.append(f"| `{row['setup']}` | {compare.fmt(row['chats_per_s'])} | {steps} |")
        by_setup = {row["setup"]: row["chats_per_s"] for row in rates}
        if by_setup.get("memory-1w") and by_setup.get("redis-2w"):
            lines += [
                "",
                f"redis-2w / memory-1w: {by_setup['redis-2w'] / by_setup['memory-1w']:.2f}×",
            ]
    for row in report["results"]:
        profile = row.get("profile")
        if not profile or not profile["samples"]:
            continue
        lines += compare.profile_table(
            profile,
            f"py-spy, one `{row['setup']}` worker during hold ({profile['samples']} samples at "
            "100 Hz, idle excluded):",
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )  # fmt: skip
    parser.add_argument("--setups", default="memory-1w,redis-2w")
    parser.add_argument("--flush-check", action="store_true", help="also redis-2w-flush1")
    parser.add_argument("--scenarios", default="hold,rate")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every stream count")
    parser.add_argument("--interval-ms", type=float, default=5.0, help="between chats in hold")
    parser.add_argument("--hold-streams", type=int, default=8000)
    parser.add_argument("--hold-answer", type=float, default=50.0, help="seconds")
    parser.add_argument(
        "--rates", type=lambda s: [int(x) for x in s.split(",")],
        default=[50, 100, 150, 200, 250, 300, 350, 400, 500, 600, 700, 800],
        help="chats per second, in order",
    )  # fmt: skip
    parser.add_argument("--rate-seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--rate-answer", type=float, default=1.0, help="seconds")
    parser.add_argument("--message", default=DEFAULT_MESSAGE)
    parser.add_argument("--profile", action="store_true", help="py-spy a worker during hold")
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--out", help="JSON results (default /tmp/canvalo-scaling-<time>.json)")
    parser.add_argument("--workdir", help="logs, databases, raw results (default: a temp dir)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, compare.on_signal)
    os.sched_setaffinity(0, {args.client_cpu})
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    setups += ["redis-2w-flush1"] if args.flush_check else []
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or f"/tmp/canvalo-scaling-{stamp}.json")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="canvalo-scaling-"))
    workdir.mkdir(parents=True, exist_ok=True)
    service = compare.Target("service", "service", ROOT)
    shape = compare.measure_answer(service, args.message, workdir, 0)
    report: dict = {
        "meta": {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} vCPU, Python {sys.version.split()[0]}",
            "git": compare.git_info(ROOT),
            "client_cpu": args.client_cpu,
            "message": args.message,
            "tokens": shape["tokens"],
            "events": shape["events"],
            "argv": sys.argv[1:] if argv is None else argv,
        },
        "results": [],
    }
    plan = [
        (scenario, setup)
        for scenario in [s.strip() for s in args.scenarios.split(",") if s.strip()]
        for setup in setups
        if not (scenario == "rate" and setup == "redis-2w-flush1")
    ]
    try:
        for scenario, setup in plan:
            print(f"{scenario}: {setup} …", file=sys.stderr, flush=True)
            run = hold if scenario == "hold" else rate
            try:
                row = run(setup, args, shape, workdir)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                row = {"scenario": scenario, "setup": setup, "failure": str(exc)}
                print(f"  failed: {exc}", file=sys.stderr, flush=True)
            report["results"].append(row)
            out.write_text(json.dumps(report, indent=1, default=str))
    except KeyboardInterrupt:
        print("interrupted: stopping every server", file=sys.stderr)
    finally:
        compare.stop_everything()
    out.write_text(json.dumps(report, indent=1, default=str))
    print(markdown(report))
    print(f"\nJSON: {out}\nlogs and raw results: {workdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
