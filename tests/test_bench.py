"""The benchmarks themselves still run: a tiny comparison of the bare gevent app and the
service, and a tiny scaling run of one worker in memory against two on Redis.

No times are asserted (those belong in docs/benchmarks.md); only that every chat streamed to
its terminal event, the bare app sent as many events as the service's answer has tokens, and
the service saved every answer `complete`.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.server import ROOT


def test_the_benchmark_runs_both_apps_to_the_end(tmp_path):
    out = tmp_path / "result.json"
    command = [
        sys.executable, "bench/compare.py", "--targets", "bare-gevent,service",
        "--scenarios", "1k", "--streams-1k", "20", "--answer-1k", "0.5",
        "--out", str(out), "--workdir", str(tmp_path / "work"),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.read_text())
    rows = {row["target"]: row for row in report["results"]}
    assert set(rows) == {"bare-gevent", "service"}
    for row in rows.values():
        assert row["load"]["ok"] == 20 and row["load"]["errors"] == 0
        assert row["load"]["terminal_events"] == 20
    tokens = report["meta"]["bare_tokens"]
    assert rows["bare-gevent"]["load"]["events_per_stream"] == tokens + 2  # start, complete
    assert rows["service"]["saved_rows_after_shutdown"] == {"complete": 20}
    assert "| 1k | `service` |" in run.stdout  # the markdown table


def test_the_scaling_benchmark_runs_both_setups_to_the_end(tmp_path):
    out = tmp_path / "scaling.json"
    command = [
        sys.executable, "bench/scaling.py", "--setups", "memory-1w,redis-2w",
        "--hold-streams", "20", "--hold-answer", "0.5", "--rates", "20", "--rate-seconds", "1",
        "--rate-answer", "0.3", "--out", str(out), "--workdir", str(tmp_path / "work"),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.read_text())
    holds = {row["setup"]: row for row in report["results"] if row["scenario"] == "hold"}
    for row in holds.values():
        assert row["load"]["ok"] == 20 and row["saved_rows"] == {"complete": 20}
    assert holds["redis-2w"]["redis"]["commands"] > 0  # the generations went through Redis
    rates = {row["setup"]: row for row in report["results"] if row["scenario"] == "rate"}
    assert all(row["steps"][0]["errors"] == 0 for row in rates.values())
    assert "| `redis-2w` |" in run.stdout
