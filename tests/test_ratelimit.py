"""The per-user chat rate limit: in process, shared through a real Redis, and Redis down."""

from __future__ import annotations

import time

import pytest
from limits import parse

from canvalo_app.ratelimit import LocalWindows
from tests.conftest import BOTH_ENGINES
from tests.helpers import assert_error, send
from tests.redis_fixture import RedisServer
from tests.scripted_model import install, say


def chat_app(make_app, **overrides):
    app = make_app(RATE_LIMIT_CHAT="2 per minute", **overrides)
    install(app, default=say("ok"))
    return app


def assert_limited(response) -> None:
    assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert 0 < int(response.headers["RateLimit-Reset"]) <= 60


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.client().flushdb()
    return redis_server.url


def test_chat_is_rate_limited_per_user(make_app, users):
    client = chat_app(make_app).test_client()
    assert send(client, users.a).status_code == 200
    assert send(client, users.a).status_code == 200
    assert_limited(send(client, users.a))
    assert send(client, users.b).status_code == 200


def test_each_send_says_what_is_left(make_app, users):
    client = chat_app(make_app).test_client()
    first, second = send(client, users.a), send(client, users.a)
    assert [r.headers["RateLimit-Remaining"] for r in (first, second)] == ["1", "0"]
    assert first.headers["RateLimit-Limit"] == "2"
    assert 55 <= int(first.headers["RateLimit-Reset"]) <= 60


@BOTH_ENGINES
def test_a_refused_send_does_not_use_the_allowance(make_app, users):
    client = chat_app(make_app).test_client()
    unknown = "00000000-0000-4000-8000-00000000dead"
    for _ in range(3):
        assert_error(send(client, users.a, ""), 422, "VALIDATION_ERROR")
        assert_error(send(client, users.a, conversation_id=unknown), 404, "CONVERSATION_NOT_FOUND")
        bad = client.post(
            "/api/chat/stream", data="{", content_type="application/json", headers=users.a
        )
        assert_error(bad, 400, "BAD_REQUEST")
    assert send(client, users.a).headers["RateLimit-Remaining"] == "1"
    assert send(client, users.a).headers["RateLimit-Remaining"] == "0"
    for _ in range(3):  # refusals past the limit are not counted either
        assert_limited(send(client, users.a))
    assert_limited(send(client, users.a))


def test_limit_is_counted_per_worker_without_redis(make_app, users):
    one, two = chat_app(make_app).test_client(), chat_app(make_app).test_client()
    for client in (one, one, two, two):
        assert send(client, users.a).status_code == 200


def test_workers_share_one_count_through_redis(make_app, users, redis_url, redis_server):
    one = chat_app(make_app, REDIS_URL=redis_url).test_client()
    two = chat_app(make_app, REDIS_URL=redis_url).test_client()
    assert send(one, users.a).status_code == 200
    assert send(two, users.a).status_code == 200
    assert_limited(send(one, users.a))
    assert_limited(send(two, users.a))
    assert send(two, users.b).status_code == 200
    keys = [key.decode() for key in redis_server.client().keys("*")]
    assert any(key.startswith("canvalo:ratelimit:") for key in keys)
    assert all(key.startswith(("canvalo:ratelimit:", "canvalo:gen:")) for key in keys)


def test_readiness_reports_redis(make_app, redis_url):
    body = make_app(REDIS_URL=redis_url).test_client().get("/health/ready").json
    assert body["checks"]["rate_limits"] == {"ok": True, "backend": "redis"}


def test_redis_down_fails_sends_at_once_and_still_limits_in_process(make_app, users):
    app = chat_app(make_app, REDIS_URL="redis://127.0.0.1:9/0")
    client = app.test_client()
    for _ in range(2):  # the generation state is in Redis: no answer can start
        started = time.monotonic()
        assert_error(send(client, users.a), 503, "ENGINE_UNAVAILABLE")
        assert time.monotonic() - started < 2
    assert_limited(send(client, users.a))
    error = assert_error(client.get("/health/ready"), 503, "SERVICE_NOT_READY")
    unavailable = {"ok": False, "backend": "redis", "error": "REDIS_UNAVAILABLE"}
    assert error["details"]["checks"]["rate_limits"] == unavailable
    assert error["details"]["checks"]["generations"] == unavailable
    conversations = client.get("/api/conversations", headers=users.a).json
    assert conversations["conversations"] == []  # nothing half-started is left behind


def test_openapi_documents_the_429(client):
    responses = client.get("/openapi.json").json["paths"]["/api/chat/stream"]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]


def test_in_process_windows_reset_and_expired_ones_are_forgotten():
    windows = LocalWindows()
    item = parse("2 per 1 second")
    assert windows.incr(item, ("a",))[0] == 1 and windows.incr(item, ("a",))[0] == 2
    count, reset_at = windows.incr(item, ("a",), -1)
    assert count == 1 and time.time() < reset_at <= time.time() + 1
    assert windows.incr(item, ("b",))[0] == 1
    time.sleep(1.05)
    assert windows.incr(item, ("c",))[0] == 1  # any hit forgets the windows expired before it
    assert len(windows) == 1
    assert windows.incr(item, ("a",)) == (1, pytest.approx(time.time() + 1, abs=0.1))
