"""Per-user rate limits, counted in Redis when `REDIS_URL` is set, in process otherwise.

With Redis, every worker and instance shares one count per user. If Redis stops answering,
requests are not refused for it: each worker counts in its own memory until Redis is back
(retried at most every `RECHECK_SECONDS`), and `/health/ready` names Redis as failing.
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string

from .errors import AppError
from .metrics import rate_limited

log = logging.getLogger(__name__)

KEY_PREFIX = "canvalo:ratelimit"
#: Seconds a send may wait on Redis before the in-process count is used instead.
REDIS_TIMEOUT = 0.5
RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Allowance:
    """What is left of one limit after a hit: the `RateLimit-*` headers a client reads."""

    limit: int
    remaining: int
    reset_at: float  # epoch seconds
    shared: bool = False  # counted in Redis (else in this process)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(max(0, math.ceil(self.reset_at - time.time()))),
        }


class LocalWindows:
    """Fixed-window counts in this process, as `limits` counts them (a window opens at a
    key's first hit), forgotten in the order they expire: no scan of every key per hit."""

    def __init__(self):
        self._windows: dict[str, list] = {}  # key -> [expires_at, count]
        self._expiries: list[tuple[float, str]] = []  # heap
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._windows)

    def incr(self, item: RateLimitItem, key: tuple, amount: int = 1) -> tuple[int, float]:
        """Add `amount` to the key's count; the count now, and when its window resets."""
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
            window[1] += amount
            return window[1], window[0]


class RateLimiter:
    def __init__(self, redis_url: str | None):
        self.backend = "redis" if redis_url else "memory"
        self._memory = LocalWindows()
        self._storage: Storage | None = None
        if redis_url:
            self._storage = storage_from_string(
                redis_url,
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT,
            )
        self._lock = threading.Lock()
        self._down_until = 0.0

    def hit(self, limit: str, *key: str) -> Allowance:
        """Count one request for `key` and say what is left; 429 with `Retry-After` and the
        `RateLimit-*` headers once `limit` is used up (a refused request is not counted)."""
        item = _parse(limit)
        count, reset_at, shared = self._incr(item, key, 1)
        if count > item.amount:
            self._incr(item, key, -1, shared)
            retry_after = max(1, math.ceil(reset_at - time.time()))
            headers = {
                **Allowance(item.amount, 0, reset_at).headers(),
                "Retry-After": str(retry_after),
            }
            rate_limited()
            raise AppError("RATE_LIMITED", headers=headers)
        return Allowance(item.amount, item.amount - count, reset_at, shared)

    def refund(self, limit: str, allowance: Allowance, *key: str) -> Allowance:
        """Give back a hit whose request was refused after all (a 4xx), to the count that
        took it: it costs nothing. A window that has reset since is left alone."""
        if allowance.reset_at <= time.time():
            return allowance
        self._incr(_parse(limit), key, -1, allowance.shared)
        return replace(allowance, remaining=allowance.remaining + 1)

    def healthy(self) -> bool:
        """Whether the storage answers (the in-process one always does)."""
        return self._storage is None or self._storage.check()

    def _incr(self, item: RateLimitItem, key: tuple, amount: int, shared: bool | None = None):
        """Add `amount` to the count (in Redis while it answers, else in process; `shared`
        chooses); the count, when its window resets, and whether it was Redis's."""
        if shared is None:
            shared = self._storage is not None and time.monotonic() >= self._down_until
        if shared:
            name = item.key_for(*key)
            try:
                count = self._storage.incr(name, item.get_expiry(), amount=amount)
                return count, self._storage.get_expiry(name), True
            except StorageError as error:
                self._mark_down(error)
                if amount < 0:  # a refund Redis did not take: nothing else counted that hit
                    return 0, 0.0, True
        return (*self._memory.incr(item, key, amount), False)

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
