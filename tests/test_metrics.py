"""GET /metrics: Prometheus metrics that move with what the real app does, closed to anyone
without METRICS_TOKEN, and summed over gunicorn's workers whichever worker answers.

The metrics are process-wide (canvalo_app/metrics.py), so each test reads the change
between a scrape before and a scrape after what it does."""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from bench.server import free_port, server_env, wait_ready
from canvalo_app.errors import AppError
from tests.conftest import Users
from tests.helpers import assert_error, routed, send, started, stream_events, wait_for
from tests.live_server import Instance, json_of, read_events, request
from tests.scripted_model import Wait, call, install, route, say

TOKEN = "metrics-token-0123456789abcdef"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


class Scrape:
    """The samples of one scrape, by name and labels."""

    def __init__(self, text: str):
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def __call__(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of `name` that has `labels`."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and wanted <= ls)


def scrape(client) -> Scrape:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return Scrape(response.get_data(as_text=True))


class Change:
    """What moved between two scrapes."""

    def __init__(self, before: Scrape, after: Scrape):
        self.before, self.after = before, after

    def __call__(self, name: str, **labels: str) -> float:
        return self.after(name, **labels) - self.before(name, **labels)

    def total(self, name: str, **labels: str) -> float:
        return self.after.total(name, **labels) - self.before.total(name, **labels)


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=TOKEN, RATE_LIMIT_CHAT="3 per minute")


def test_a_chat_moves_the_counters(client, users, live):
    before = scrape(client)
    answer = send(client, users.a, "Which invoices are overdue?")
    evts = stream_events(answer)
    answer.close()  # as a WSGI server does at the end of every response
    change = Change(before, scrape(client))
    done = evts[-1]
    assert done["type"] == "complete"
    assert change("canvalo_generations_total", outcome="complete") == 1
    assert change("canvalo_time_to_first_token_seconds_count") == 1
    assert change("canvalo_generation_duration_seconds_count") == 1
    assert change("canvalo_generation_duration_seconds_sum") > 0
    tokens = done["usage"]
    assert change("canvalo_model_tokens_total", direction="out") == tokens["output_tokens"] > 0
    assert change("canvalo_model_tokens_total", direction="in") == tokens["input_tokens"] > 0
    # The supervisor's routing call, then the agent's tool call and its answer.
    assert change("canvalo_model_calls_total", provider="offline", outcome="ok") >= 3
    results = [e for e in evts if e["type"] == "tool_result"]
    assert results and all(e["status"] == "ok" for e in results)
    for name in {e["tool_name"] for e in results}:
        ran = sum(e["tool_name"] == name for e in results)
        assert change("canvalo_tool_calls_total", tool=name, status="ok") == ran
    assert change("canvalo_store_call_duration_seconds_count", store="sqlite", operation="insert")
    assert change.total("canvalo_store_call_duration_seconds_count", store="sqlite") >= 3
    assert change("canvalo_open_streams") == 0


def test_tool_statuses_and_model_errors_are_counted(app, client, users, stores):
    # An invoice without payments (a paid one cannot be deleted).
    invoice = next(i for i in stores[0].list_records("invoices") if not i["amount_paid"])
    install(
        app,
        route("invoices"),
        call("delete_invoice", id=invoice["id"]),  # destructive: waits for confirmation
        call("delete_invoice", id="not-an-id"),
        call("no_such_tool"),
        [AppError("MODEL_THROTTLED")],
    )
    before = scrape(client)
    evts = stream_events(send(client, users.a, "delete it"))
    change = Change(before, scrape(client))
    assert evts[-1]["type"] == "error" and evts[-1]["code"] == "MODEL_THROTTLED"
    tool_calls = "canvalo_tool_calls_total"
    assert change(tool_calls, tool="delete_invoice", status="pending_confirmation") == 1
    assert change(tool_calls, tool="delete_invoice", status="error") == 1
    assert change(tool_calls, tool="unknown", status="error") == 1  # no name the model made up
    assert change("canvalo_model_calls_total", provider="scripted", outcome="ok") == 4
    assert change("canvalo_model_calls_total", provider="scripted", outcome="MODEL_THROTTLED") == 1
    assert change("canvalo_generations_total", outcome="MODEL_THROTTLED") == 1
    assert change("canvalo_errors_total", code="MODEL_THROTTLED") == 1  # a terminal event
    assert change("canvalo_time_to_first_token_seconds_count") == 0  # no text was sent
    assert change("canvalo_generation_duration_seconds_count") == 1


def test_errors_are_counted_by_code_and_refusals_by_the_rate_limit(app, client, users):
    install(app, default=say("Fine."))
    before = scrape(client)
    assert_error(send(client, users.a, ""), 422, "VALIDATION_ERROR")
    assert_error(client.get("/api/conversations"), 401, "AUTH_REQUIRED")
    assert_error(client.get("/nowhere"), 404, "NOT_FOUND")
    for _ in range(3):  # RATE_LIMIT_CHAT is 3 per minute
        assert stream_events(send(client, users.a))[-1]["type"] == "complete"
    assert_error(send(client, users.a), 429, "RATE_LIMITED")
    change = Change(before, scrape(client))
    for code in ("VALIDATION_ERROR", "AUTH_REQUIRED", "NOT_FOUND", "RATE_LIMITED"):
        assert change("canvalo_errors_total", code=code) == 1, code
    assert change("canvalo_rate_limited_total") == 1


def test_open_streams_go_down_when_the_client_leaves(app, client, users):
    release = threading.Event()
    install(app, *routed([Wait(release), *say("Late.")]))
    before = scrape(client)("canvalo_open_streams")
    response = client.post(
        "/api/chat/stream", json={"message": "go"}, headers=users.a, buffered=False
    )
    started(iter(response.response))
    assert scrape(client)("canvalo_open_streams") == before + 1
    response.close()  # the client goes away mid-answer
    assert scrape(client)("canvalo_open_streams") == before
    release.set()


def test_a_scrape_without_the_token_is_refused(client, users):
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        users.a,  # a user's access token is not the metrics token
    ):
        response = client.get("/metrics", headers=headers)
        assert_error(response, 401, "METRICS_TOKEN_INVALID")
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_no_token_no_metrics(make_app):
    client = make_app(METRICS_TOKEN=None).test_client()
    assert_error(client.get("/metrics", headers=SCRAPER), 404, "NOT_FOUND")
    assert "/metrics" not in client.get("/openapi.json").json["paths"]


def test_the_endpoint_is_documented(client):
    document = client.get("/openapi.json").json
    validate(document)
    operation = document["paths"]["/metrics"]["get"]
    assert operation["security"] == [{"metricsToken": []}]
    assert list(operation["responses"]["200"]["content"]) == ["text/plain"]
    assert document["components"]["securitySchemes"]["metricsToken"]["scheme"] == "bearer"


# -- Several workers: gunicorn as deployed ---------------------------------------------------


def counts_by_worker(directory: Path, code: str) -> dict[int, float]:
    """canvalo_errors_total{code} of each worker (process id), from its own file."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        families = MultiProcessCollector.merge([str(path)], accumulate=False)
        counts[int(path.stem.split("_")[1])] = sum(
            sample.value
            for family in families
            if family.name == "canvalo_errors"
            for sample in family.samples
            if sample.labels.get("code") == code
        )
    return counts


def scrape_live(port: int) -> Scrape:
    connection, response = request(port, "GET", "/metrics", headers=SCRAPER)
    try:
        assert response.status == 200
        return Scrape(response.read().decode())
    finally:
        connection.close()


def workers_that_counted(directory: Path, code: str, since: dict | None = None) -> set[int]:
    """The workers whose own count of `code` is above the one in `since`."""
    since = since or {}
    return {pid for pid, n in counts_by_worker(directory, code).items() if n > since.get(pid, 0)}


def scrape_naming_the_worker(port: int, directory: Path) -> tuple[Scrape, int]:
    """A scrape, and the worker that answered it: on one connection (so one worker), a
    refused scrape first, which only that worker counts."""
    refused = counts_by_worker(directory, "METRICS_TOKEN_INVALID")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics", headers={"Authorization": "Bearer wrong"})
        assert connection.getresponse().read()
        connection.request("GET", "/metrics", headers=SCRAPER)
        answer = connection.getresponse()
        assert answer.status == 200
        scraped = Scrape(answer.read().decode())
    finally:
        connection.close()
    (worker,) = workers_that_counted(directory, "METRICS_TOKEN_INVALID", refused)
    return scraped, worker


@pytest.fixture
def two_workers(tmp_path, redis_server):
    """gunicorn with two workers on one Redis, metrics kept in `tmp_path/metrics`, where a
    file of an earlier run waits."""
    redis_server.client().flushdb()
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_99999.db").write_bytes(b"an earlier run's counts")
    env = server_env(
        free_port(),
        tmp_path / "db.sqlite3",
        Users.secret,
        REDIS_URL=redis_server.url,
        WEB_CONCURRENCY="2",
        METRICS_TOKEN=TOKEN,
        METRICS_MULTIPROC_DIR=str(directory),
        OFFLINE_TOKEN_DELAY="0.5",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    instance = Instance(env, tmp_path / "server.log")
    yield instance, directory
    instance.stop()


def test_two_workers_counts_add_up_whichever_answers(two_workers):
    instance, directory = two_workers
    assert not (directory / "counter_99999.db").exists()  # emptied at start
    workers = set(instance.workers())
    assert len(workers) == 2
    sent, deadline = 0, time.monotonic() + 30  # the second worker may still be starting
    while sent < 10 or workers_that_counted(directory, "NOT_FOUND") != workers:
        assert time.monotonic() < deadline, "one worker answered every request"
        assert json_of(instance.port, "GET", "/nowhere", headers={})[0] == 404  # a new connection
        sent += 1
    answered: set[int] = set()
    for _ in range(100):
        scraped, worker = scrape_naming_the_worker(instance.port, directory)
        assert scraped("canvalo_errors_total", code="NOT_FOUND") == sent
        answered.add(worker)
        if answered == workers:
            break
    assert answered == workers, "one worker answered every scrape"


def test_a_dead_workers_streams_leave_the_gauge_and_its_counts_stay(two_workers):
    instance, _ = two_workers
    for _ in range(4):
        json_of(instance.port, "GET", "/nowhere", headers={})
    connection, response = request(
        instance.port, "POST", "/api/chat/stream", {"message": "which invoices are overdue?"}
    )
    read_events(response, until=lambda found: found[-1]["type"] == "token")
    assert scrape_live(instance.port)("canvalo_open_streams") == 1  # summed over the workers
    old = set(instance.workers())
    for pid in old:
        os.kill(pid, signal.SIGKILL)  # no code of the worker runs; gunicorn's child_exit does
    connection.close()
    assert wait_for(lambda: len(set(instance.workers()) - old) == 2, timeout=20)
    assert wait_ready(instance.port)
    after = scrape_live(instance.port)
    assert after("canvalo_open_streams") == 0
    assert after("canvalo_errors_total", code="NOT_FOUND") == 4
