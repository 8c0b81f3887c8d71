"""Prometheus metrics: every metric the service exports, and the small hooks that record them.

The metrics exist once per process, made at import on a registry of this module's own (not
prometheus_client's global one), so however many apps a process builds — the tests build
hundreds — no name is registered twice, and a hook records from any greenlet, with or
without an app context (the engine's ticker saves text outside one). What a process holds is
process-wide by nature: in multiprocess mode prometheus_client keeps one file per process
and metric type. A test reads the change between two scrapes, never an absolute count.

With several gunicorn workers each worker writes its values to files in one directory
(METRICS_MULTIPROC_DIR; gunicorn.conf.py also puts it in PROMETHEUS_MULTIPROC_DIR before a
worker imports this module, which is when prometheus_client reads that), and a scrape
answered by any worker sums them all. The hot path stays cheap: one observation per
generation, model call, tool call or store call; a generation's tokens are counted once, when
it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from functools import wraps

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, values
from prometheus_client.exposition import choose_encoder

log = logging.getLogger(__name__)
REGISTRY = CollectorRegistry(auto_describe=True)
#: Whether prometheus_client writes values to per-process files (it decides at its import).
MULTIPROCESS = getattr(values.ValueClass, "_multiprocess", False)

FIRST_TOKEN_SECONDS = Histogram(
    "canvalo_time_to_first_token_seconds",
    "From the start of a generation to its first token of text.",
    buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60),
    registry=REGISTRY,
)
GENERATION_SECONDS = Histogram(
    "canvalo_generation_duration_seconds",
    "From the start of a generation to its end, whatever the outcome.",
    buckets=(0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120, 180),
    registry=REGISTRY,
)
GENERATIONS = Counter(
    "canvalo_generations",
    "Generations ended: complete, stopped (by the user, a shutdown, a deadline) or the "
    "error code that ended them.",
    ["outcome"],
    registry=REGISTRY,
)
TOKENS = Counter(
    "canvalo_model_tokens",
    "Model tokens of ended generations, as the provider reported them.",
    ["direction"],
    registry=REGISTRY,
)
MODEL_CALLS = Counter(
    "canvalo_model_calls",
    "Model calls by provider and outcome: ok, cancelled (the turn ended first) or an error code.",
    ["provider", "outcome"],
    registry=REGISTRY,
)
TOOL_CALLS = Counter(
    "canvalo_tool_calls",
    "Tool calls by tool and status: ok, error or pending_confirmation.",
    ["tool", "status"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "canvalo_errors",
    "Error envelopes answered, by error code.",
    ["code"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "canvalo_rate_limited", "Requests refused by a rate limit (429).", registry=REGISTRY
)
OPEN_STREAMS = Gauge(
    "canvalo_open_streams",
    "SSE responses open now, summed over the live workers.",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
STORE_SECONDS = Histogram(
    "canvalo_store_call_duration_seconds",
    "Store calls by store and operation, retries included.",
    ["store", "operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
FEEDBACK = Counter(
    "canvalo_feedback",
    "Feedback on answers: the rating given (up, down; none: taken back) by the rating it "
    "replaced (none: the answer had none).",
    ["rating", "previous"],
    registry=REGISTRY,
)
_TOKENS_IN, _TOKENS_OUT = TOKENS.labels("in"), TOKENS.labels("out")


class Exporter:
    """What a scrape reads: this process's registry, or every worker's files summed."""

    def __init__(self, multiproc_dir: str | None):
        self.registry = REGISTRY
        if multiproc_dir and not MULTIPROCESS:  # e.g. a CLI command run with the server's env
            log.warning(
                "METRICS_MULTIPROC_DIR is set but PROMETHEUS_MULTIPROC_DIR was not when this "
                "process started (gunicorn.conf.py sets both): its metrics are its own only"
            )
        elif multiproc_dir:
            self.registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(self.registry, path=multiproc_dir)

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The exposition the scraper asked for (text, or OpenMetrics), and its type."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


def init_app(app: Flask) -> None:
    app.extensions["metrics"] = Exporter(app.config["METRICS_MULTIPROC_DIR"])


def timed_generation(turn: Iterator[tuple[str, dict]], usage: dict) -> Iterator[tuple[str, dict]]:
    """The turn's events, unchanged; times its first token and its whole run, and counts
    its outcome and its tokens (`usage`, as the turn adds to it) once it ends."""
    started = time.monotonic()
    outcome = "stopped"  # closed before its end: a stop, a shutdown, the deadline
    try:
        yield from _until_first_token(turn, started)
        yield from turn  # delegated without a step of ours per token
        outcome = "complete"
    except Exception as error:
        outcome = getattr(error, "code", "INTERNAL_ERROR")
        raise
    finally:
        turn.close()
        GENERATION_SECONDS.observe(time.monotonic() - started)
        GENERATIONS.labels(outcome).inc()
        _TOKENS_IN.inc(usage["input_tokens"])
        _TOKENS_OUT.inc(usage["output_tokens"])


def _until_first_token(turn: Iterator[tuple[str, dict]], started: float) -> Iterator:
    for event in turn:
        first = event[0] == "token"
        if first:
            FIRST_TOKEN_SECONDS.observe(time.monotonic() - started)
        yield event
        if first:
            return


def model_call(provider: str, events: Iterator) -> Iterator:
    """One model call's events, unchanged; counted by provider and outcome when it ends."""
    outcome = "cancelled"
    try:
        yield from events
        outcome = "ok"
    except Exception as error:
        outcome = getattr(error, "code", "INTERNAL_ERROR")
        raise
    finally:
        MODEL_CALLS.labels(provider, outcome).inc()


def tool_called(tool: str, status: str) -> None:
    TOOL_CALLS.labels(tool, status).inc()


def error_answered(code: str) -> None:
    ERRORS.labels(code).inc()


def feedback_given(rating: str | None, previous: str | None) -> None:
    """A rating given, changed (`previous`) or taken back (`rating` None)."""
    FEEDBACK.labels(rating or "none", previous or "none").inc()


def rate_limited() -> None:
    RATE_LIMITED.inc()


def open_stream(response):
    """Count an SSE response open until the server closes it: at its end, or when the client
    went away (no step of ours per chunk sent)."""
    OPEN_STREAMS.inc()
    response.call_on_close(OPEN_STREAMS.dec)
    return response


def timed_store_call(method: Callable) -> Callable:
    """A store method whose calls are timed, labelled by its store (the module that defines
    it: sqlite, supabase) and operation (its name)."""
    store = method.__module__.rpartition(".")[2]
    latency = STORE_SECONDS.labels(store, method.__name__.lstrip("_"))

    @wraps(method)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            latency.observe(time.perf_counter() - started)

    return timed
