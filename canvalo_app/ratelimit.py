"""Per-user rate limits, counted in Redis when `REDIS_URL` is set, in process otherwise.

With Redis, every worker and instance shares one count per user. If Redis stops answering,
requests are not refused for it: each worker counts in its own memory until Redis is back
(retried at most every `RECHECK_SECONDS`), and `/health/ready` names Redis as failing.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .errors import AppError

log = logging.getLogger(__name__)

KEY_PREFIX = "canvalo:ratelimit"
#: Seconds a send may wait on Redis before the in-process count is used instead.
REDIS_TIMEOUT = 0.5
RECHECK_SECONDS = 5.0


class LocalWindows:
    """Fixed-window counts in this process, as `limits` counts them (a window opens at a
    key's first hit), forgotten in the order they expire: no scan of every key per hit."""

    def __init__(self):
        self._windows: dict[str, list] = {}  # key -> [expires_at, count]
        self._expiries: list[tuple[float, str]] = []  # heap
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._windows)

    def hit(self, item: RateLimitItem, *key: str) -> tuple[bool, float]:
        """Count one hit; whether it was allowed, and when the window resets (epoch s)."""
        now = time.time()
        name = item.key_for(*key)
        with self._lock:
            while self._expiries and self._expiries[0][0] <= now:
                expires_at, expired = heapq.heappop(self._expiries)
                if self._windows.get(expired, (None,))[0] == expires_at:
                    del self._windows[expired]
            window = self._windows.get(name)
            if window is None:
                window = self._windows[name] = [now + item.get_expiry(), 0]
                heapq.heappush(self._expiries, (window[0], name))
            if window[1] >= item.amount:
                return False, window[0]
            window[1] += 1
            return True, window[0]


class RateLimiter:
    def __init__(self, redis_url: str | None):
        self.backend = "redis" if redis_url else "memory"
        self._memory = LocalWindows()
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
        item = _parse(limit)
        allowed, reset_at = self._hit(item, key)
        if not allowed:
            retry_after = max(1, int(reset_at - time.time()) + 1)
            raise AppError("RATE_LIMITED", headers={"Retry-After": str(retry_after)})

    def healthy(self) -> bool:
        """Whether the storage answers (the in-process one always does)."""
        return self._storage is None or self._storage.check()

    def _hit(self, item: RateLimitItem, key: tuple) -> tuple[bool, float]:
        if self._shared is not None and time.monotonic() >= self._down_until:
            try:
                if self._shared.hit(item, *key):
                    return True, 0.0
                return False, self._shared.get_window_stats(item, *key).reset_time
            except StorageError as error:
                self._mark_down(error)
        return self._memory.hit(item, *key)

    def _mark_down(self, error: StorageError) -> None:
        with self._lock:
            if time.monotonic() >= self._down_until:
                log.warning(
                    "rate-limit storage unavailable (%s); counting in process for %.0f s",
                    error.storage_error,
                    RECHECK_SECONDS,
                )
            self._down_until = time.monotonic() + RECHECK_SECONDS


@lru_cache(maxsize=64)
def _parse(limit: str) -> RateLimitItem:
    return parse(limit)
