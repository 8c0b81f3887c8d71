"""A generation read from Redis, by a worker that does not run it (engine/shared.py)."""

from __future__ import annotations

import time

from redis.exceptions import RedisError

from ..errors import AppError
from ..sse import ServerSentEvent
from .redis_keys import (
    BLOCK_LIMIT,
    CHANNEL,
    CLAIM_POLL_SECONDS,
    READ_BATCH,
    event_of,
    generation_key,
    log_key,
    unavailable,
)


class SharedLog:
    """A generation read from Redis: the reader's side of a log another worker (or this
    one, earlier) writes. It has the reading interface of `GenerationLog`."""

    def __init__(self, registry, generation_id: str, fields: dict):
        self.registry = registry
        self.id = generation_id
        self.user_id = fields[b"user_id"].decode()
        self.conversation_id = fields[b"conversation_id"].decode()
        self.user_message_id = fields[b"user_message_id"].decode()
        self.message_id = fields[b"message_id"].decode()
        self.client_message_id = fields[b"client_message_id"].decode() or None

    def wait(self, after: int, timeout: float) -> tuple[list[ServerSentEvent], bool]:
        """Events after id `after`, blocking up to `timeout` for one; and whether they end the
        log. When Redis is lost, a terminal `ENGINE_UNAVAILABLE` ends the reader's stream."""
        key, stream = generation_key(self.id), log_key(self.id)
        try:
            pipe = self.registry.redis.pipeline(transaction=False)
            pipe.hmget(key, "ended", "user_id")  # before the read: `ended` means all is there
            pipe.xread({stream: f"0-{after}"}, count=READ_BATCH)
            (ended, exists), entries = pipe.execute()
            events = self._events(entries)
            if events:
                return events, events[-1].terminal
            if ended or exists is None or timeout <= 0:
                return [], bool(ended or exists is None)
            block_ms = int(min(timeout, BLOCK_LIMIT) * 1000)
            entries = self.registry.blocking.xread(
                {stream: f"0-{after}"}, count=READ_BATCH, block=block_ms
            )
        except RedisError as error:
            unavailable(error)
            lost = AppError("ENGINE_UNAVAILABLE").event_data()
            return [ServerSentEvent(after + 1, "error", lost)], True
        events = self._events(entries)
        return events, bool(events) and events[-1].terminal

    @staticmethod
    def _events(entries) -> list[ServerSentEvent]:
        return [event_of(*entry) for _, stream in entries or () for entry in stream]

    def request_stop(self, reason: str = "user") -> None:
        """Ask the worker running it to stop it; that worker ends it within a second."""
        try:
            self.registry.redis.publish(CHANNEL, self.id)
        except RedisError as error:
            raise unavailable(error) from error

    def wait_finished(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ended = self.registry.redis.hget(generation_key(self.id), "ended")
            except RedisError as error:
                raise unavailable(error) from error
            if ended or time.monotonic() >= deadline:
                return bool(ended)
            time.sleep(CLAIM_POLL_SECONDS)
