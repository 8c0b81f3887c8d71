"""The retry policy: one decorator, built on `retrying`, for model and store calls.

`@retry_transient(classify)` turns any exception into an `AppError` through `classify` and
retries it with exponential backoff when that error is retryable. For a generator (a model
stream) it retries only until the first item has been yielded: once any text of that call may
have reached the client, a failure is reported, never replayed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import NamedTuple

from retrying import Retrying

from .errors import AppError, StoreUnavailable
from .metrics import timed_store_call

log = logging.getLogger(__name__)
_quiet = logging.getLogger(f"{__name__}.attempts")
_quiet.disabled = True
#: Maps a failure to the AppError it means, or returns it unchanged when it is a defect.
Classifier = Callable[[Exception], Exception]
_EMPTY = object()


class RetryPolicy(NamedTuple):
    attempts: int = 3  # retries after the first try
    base_delay: float = 1.0  # seconds before the first retry; doubles each time
    max_delay: float = 8.0

    @classmethod
    def from_config(cls, config: dict) -> RetryPolicy:
        return cls(config["RETRY_ATTEMPTS"], config["RETRY_BASE_DELAY"], config["RETRY_MAX_DELAY"])

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry `retry_number` (1-based): base × 2^(n-1), capped."""
        return min(self.base_delay * 2 ** (retry_number - 1), self.max_delay)

    def retrying(self) -> Retrying:
        """This policy as a `retrying` runner, built once and shared by every call."""
        return _runner(self)


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, AppError) and exc.retryable and not getattr(exc, "waited", False)


@lru_cache(maxsize=64)
def _runner(policy: RetryPolicy) -> Retrying:
    return Retrying(
        stop_max_attempt_number=policy.attempts + 1,
        wait_func=lambda attempt, _elapsed_ms: policy.delay(attempt) * 1000,
        retry_on_exception=_worth_retrying,
        after_attempts=lambda attempt: log.info("transient failure; retry %d", attempt),
        # `retrying` would log each attempt with its traceback (provider text included).
        logger=_quiet,
    )


def _translated(classify: Classifier, call: Callable):
    try:
        return call()
    except (AppError, StopIteration):
        raise
    except Exception as exc:
        translated = classify(exc)
        if translated is exc:
            raise
        raise translated from exc


def _retried(runner: Retrying, classify: Classifier, call: Callable):
    """`call` through `runner`, translated; a StoreUnavailable that ends it says whether any
    try may have been carried out (`maybe_written`), not only the last."""
    lost_answers = []

    def attempt():
        try:
            return _translated(classify, call)
        except StoreUnavailable as error:
            lost_answers.append(error.maybe_written)
            raise

    try:
        return runner.call(attempt)
    except StoreUnavailable as error:
        error.maybe_written = any(lost_answers)
        raise


def retry_transient(classify: Classifier, retry: bool = True):
    """Method decorator: translate failures with `classify`, retry per `self.retry_policy`.

    `retry=False` only translates: for checks that must answer at once (readiness).
    """

    def policy(self) -> RetryPolicy:
        return self.retry_policy if retry else self.retry_policy._replace(attempts=0)

    def decorator(method):
        if inspect.isgeneratorfunction(method):

            @wraps(method)
            def generator_wrapper(self, *args, **kwargs):
                def first_item():
                    stream = method(self, *args, **kwargs)
                    try:
                        return stream, _translated(classify, lambda: next(stream))
                    except StopIteration:
                        return stream, _EMPTY

                stream, item = policy(self).retrying().call(first_item)
                try:
                    while item is not _EMPTY:
                        yield item
                        try:
                            item = _translated(classify, lambda: next(stream))
                        except StopIteration:
                            item = _EMPTY
                finally:
                    stream.close()  # a consumer that stops early releases the stream at once

            return generator_wrapper

        @wraps(method)
        def wrapper(self, *args, **kwargs):
            runner = policy(self).retrying()
            return _retried(runner, classify, lambda: method(self, *args, **kwargs))

        return timed_store_call(wrapper)

    return decorator
