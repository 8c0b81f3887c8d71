"""The retry decorator: backoff schedule, retry only before the first streamed item,
non-retryable failures at once, defects untouched."""

from __future__ import annotations

import time

import pytest

from canvalo_app.errors import AppError
from canvalo_app.resilience import RetryPolicy, retry_transient


class Flaky(Exception):
    pass


def classify(exc: Exception) -> Exception:
    return AppError("MODEL_THROTTLED") if isinstance(exc, Flaky) else exc


FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.04)


class Service:
    """A caller with a scripted sequence of outcomes, one per attempt."""

    def __init__(self, outcomes, policy=FAST):
        self.outcomes = list(outcomes)
        self.retry_policy = policy
        self.attempts = 0

    def _next(self):
        self.attempts += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @retry_transient(classify)
    def call(self):
        return self._next()

    @retry_transient(classify)
    def stream(self):
        for item in self._next():
            if isinstance(item, BaseException):
                raise item
            yield item


def test_backoff_schedule_is_exponential_and_capped():
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=4.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_transient_failures_are_retried_with_backoff():
    service = Service([Flaky(), Flaky(), "ok"])
    started = time.monotonic()
    assert service.call() == "ok"
    assert service.attempts == 3
    assert time.monotonic() - started >= 0.01 + 0.02


def test_gives_up_after_the_configured_retries():
    service = Service([Flaky()] * 4)
    with pytest.raises(AppError) as raised:
        service.call()
    assert raised.value.code == "MODEL_THROTTLED" and service.attempts == 4


def test_non_retryable_fails_at_once():
    service = Service([AppError("MODEL_REQUEST_INVALID"), "never"])
    with pytest.raises(AppError):
        service.call()
    assert service.attempts == 1


def test_defects_pass_through_untranslated_and_unretried():
    service = Service([KeyError("bug"), "never"])
    with pytest.raises(KeyError):
        service.call()
    assert service.attempts == 1


def test_stream_retried_before_its_first_item():
    service = Service([[Flaky()], ["a", "b"]])
    assert list(service.stream()) == ["a", "b"]
    assert service.attempts == 2


def test_stream_never_retried_after_an_item_was_yielded():
    service = Service([["a", Flaky()], ["never"]])
    received = []
    with pytest.raises(AppError) as raised:
        for item in service.stream():
            received.append(item)
    assert received == ["a"] and service.attempts == 1
    assert raised.value.code == "MODEL_THROTTLED"


def test_stream_closed_when_the_consumer_stops():
    closed = []

    class Source(Service):
        @retry_transient(classify)
        def stream(self):
            try:
                yield from ["a", "b", "c"]
            finally:
                closed.append(True)

    stream = Source([]).stream()
    assert next(stream) == "a"
    stream.close()
    assert closed == [True]


def test_translate_only_makes_one_attempt():
    class Check(Service):
        @retry_transient(classify, retry=False)
        def call(self):
            return self._next()

    check = Check([Flaky(), "never"])
    with pytest.raises(AppError) as raised:
        check.call()
    assert raised.value.code == "MODEL_THROTTLED" and check.attempts == 1
