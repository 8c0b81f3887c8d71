"""Per-user rate limits, counted in Redis when `REDIS_URL` is set, in process otherwise.

With Redis, every worker and instance shares one count per user. If Redis stops answering,
requests are not refused for it: each worker counts in its own memory until Redis is back
(retried at most every `RECHECK_SECONDS`), and `/health/ready` names Redis as failing.
"""

from __future__ import annotations

import logging
import threading
import time

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .errors import AppError

log = logging.getLogger(__name__)

KEY_PREFIX = "canvalo:ratelimit"
#: Seconds a send may wait on Redis before the in-process count is used instead.
REDIS_TIMEOUT = 0.5
RECHECK_SECONDS = 5.0


class RateLimiter:
    def __init__(self, redis_url: str | None):
        self.backend = "redis" if redis_url else "memory"
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._shared: FixedWindowRateLimiter | None = None
        self._storage: Storage | None = None
        if redis_url:
            self._storage = storage_from_string(
                redis_url,
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT,
            )
            self._shared = FixedWindowRateLimiter(self._storage)
        self._lock = threading.Lock()
        self._down_until = 0.0

    def hit(self, limit: str, *key: str) -> None:
        """Count one request for `key`; 429 with `Retry-After` once `limit` is used up."""
        item = parse(limit)
        counter = self._counter()
        try:
            allowed = counter.hit(item, *key)
        except StorageError as error:
            self._mark_down(error)
            counter = self._memory
            allowed = counter.hit(item, *key)
        if not allowed:
            retry_after = _retry_after(counter, item, key)
            raise AppError("RATE_LIMITED", headers={"Retry-After": str(retry_after)})

    def healthy(self) -> bool:
        """Whether the storage answers (the in-process one always does)."""
        return self._storage is None or self._storage.check()

    def _counter(self) -> FixedWindowRateLimiter:
        if self._shared is None or time.monotonic() < self._down_until:
            return self._memory
        return self._shared

    def _mark_down(self, error: StorageError) -> None:
        with self._lock:
            if time.monotonic() >= self._down_until:
                log.warning(
                    "rate-limit storage unavailable (%s); counting in process for %.0f s",
                    error.storage_error,
                    RECHECK_SECONDS,
                )
            self._down_until = time.monotonic() + RECHECK_SECONDS


def _retry_after(counter: FixedWindowRateLimiter, item: RateLimitItem, key: tuple) -> int:
    try:
        reset_at = counter.get_window_stats(item, *key).reset_time
    except StorageError:
        return item.get_expiry()
    return max(1, int(reset_at - time.time()) + 1)
