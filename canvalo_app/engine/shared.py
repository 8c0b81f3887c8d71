"""The generation engine on Redis: every worker and instance shares the event logs, the
one-generation-per-conversation rule, the `client_message_id` claims and stop.

Keys, all under `canvalo:gen:`:

    g:{id}             hash    the generation (user, conversation, message ids, owner, ended)
    g:{id}:log         stream  its events: entry id 0-{event id}, fields t (type), f (frame)
    c:{conversation}   string  the running generation, or a send being prepared (leased)
    m:{user}:{client}  string  the generation of a client message id, or `pending` (leased)
    w                  zset    worker id -> its last renewal, in Redis server time
    w:{worker}         set     the generations a worker runs
    stop               channel ids of generations to stop

The worker that runs a generation writes its events to Redis first, all its generations in
one pipeline (group commit), and only then publishes them to its own readers: a client never
sees an event the shared log lacks. Readers on other workers read the stream, blocking while
it is quiet. Every `WORKER_RENEW_SECONDS` each worker renews its own lease and those of its
conversations and claims; the first worker to find another's lease lapsed (killed, or its
instance lost) takes its generations over: each row is saved `interrupted` with all the text
its log holds, and the log ends with one `WORKER_LOST` error. When Redis cannot be reached,
a send fails at once with 503 `ENGINE_UNAVAILABLE`, and every running generation of this
worker ends with that error, its text saved; the next command reconnects.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from contextlib import suppress

import redis
from redis.exceptions import RedisError

from ..errors import AppError
from ..sse import ServerSentEvent
from ..store.base import Store, new_id
from .liveness import Liveness
from .log import GenerationLog
from .redis_keys import (
    ADOPT,
    BLOCK_LIMIT,
    CLAIM_POLL_SECONDS,
    CONNECT_TIMEOUT,
    LEAVE,
    PENDING,
    RELEASE,
    SOCKET_TIMEOUT,
    WORKERS,
    claim_key,
    conversation_key,
    generation_key,
    log_key,
    unavailable,
    worker_key,
    xadd,
)
from .shared_log import SharedLog
from .spawn import spawn
from .writer import Writer

log = logging.getLogger(__name__)


class SharedRegistry(Writer, Liveness):
    """The generation registry on Redis: the interface of engine/log.py's
    `GenerationRegistry`, for any number of workers and instances."""

    backend = "redis"

    def __init__(
        self,
        redis_url: str,
        store: Store,
        *,
        retention: float,
        lease: float,
        renew: float,
        deadline: float,
    ):
        self.store = store
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        self.redis = redis.Redis.from_url(
            redis_url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=CONNECT_TIMEOUT
        )
        # Blocking reads and the stop channel wait longer than ordinary commands.
        self.blocking = redis.Redis.from_url(
            redis_url,
            socket_timeout=BLOCK_LIMIT + SOCKET_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
        )
        self.retention_ms = max(int(retention * 1000), 1)
        self.lease_ms = int(lease * 1000)
        self.lease = lease
        self.renew = renew
        # A running generation's keys outlive any turn; they get the retention once it ends.
        self.running_ttl_ms = int((deadline + lease) * 1000) + self.retention_ms
        self._adopt = self.redis.register_script(ADOPT)
        self._release = self.redis.register_script(RELEASE)
        self._leave = self.redis.register_script(LEAVE)
        self._own: dict[str, GenerationLog] = {}  # generations this worker runs
        self._lock = threading.Lock()
        self._pending: list[tuple[GenerationLog, ServerSentEvent]] = []
        self._writing = False
        self._started = False
        self._closed = threading.Event()

    # -- The interface shared with the in-memory registry ------------------------------

    def claim(self, user_id: str, client_message_id: str, timeout: float):
        """Claim a client message for this send, or return the generation it already has
        (started by any worker); a copy still being prepared is waited for up to `timeout`."""
        self.start()
        key = claim_key(user_id, client_message_id)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.redis.set(key, PENDING, nx=True, px=self.lease_ms):
                    return None
                value = self.redis.get(key)
                attached = None
                if value is not None and value != PENDING:
                    attached = self.get(value.decode(), user_id)
                    if attached is None:  # its generation is gone: claim it afresh
                        self._release(keys=[key], args=[value])
                        continue
            except RedisError as error:
                raise unavailable(error) from error
            if attached is not None:
                return attached
            if value is None:
                continue  # given back between the two commands
            if time.monotonic() >= deadline:
                raise AppError("CONVERSATION_BUSY")
            time.sleep(CLAIM_POLL_SECONDS)

    def unclaim(self, user_id: str, client_message_id: str) -> None:
        try:
            self._release(keys=[claim_key(user_id, client_message_id)], args=[PENDING])
        except RedisError as error:  # the claim lapses with its lease
            unavailable(error)

    def reserve(self, conversation_id: str) -> None:
        """Claim the conversation for a new generation, or 409 if one is running anywhere."""
        try:
            reserved = self.redis.set(
                conversation_key(conversation_id), self._reservation, nx=True, px=self.lease_ms
            )
        except RedisError as error:
            raise unavailable(error) from error
        if not reserved:
            raise AppError("CONVERSATION_BUSY")

    def release(self, conversation_id: str) -> None:
        try:
            self._release(keys=[conversation_key(conversation_id)], args=[self._reservation])
        except RedisError as error:  # the reservation lapses with its lease
            unavailable(error)

    def add(self, generation: GenerationLog) -> None:
        """Register a started generation (its `start` event already logged) for every worker;
        from now on its events go to Redis before its readers see them."""
        self.start()
        pipe = self.redis.pipeline(transaction=True)
        key, stream = generation_key(generation.id), log_key(generation.id)
        pipe.hset(
            key,
            mapping={
                "user_id": generation.user_id,
                "conversation_id": generation.conversation_id,
                "user_message_id": generation.user_message_id,
                "message_id": generation.message_id,
                "client_message_id": generation.client_message_id or "",
                "owner": self.worker_id,
            },
        )
        pipe.pexpire(key, self.running_ttl_ms)
        for event in generation.events:
            xadd(pipe, generation.id, event)
        pipe.pexpire(stream, self.running_ttl_ms)
        pipe.set(conversation_key(generation.conversation_id), generation.id, px=self.lease_ms)
        if generation.client_message_id:
            claim = claim_key(generation.user_id, generation.client_message_id)
            pipe.set(claim, generation.id, px=self.lease_ms)
        pipe.sadd(worker_key(self.worker_id), generation.id)
        try:
            pipe.execute()
        except RedisError as error:
            raise unavailable(error) from error
        generation.sink = self._enqueue
        with self._lock:
            self._own[generation.id] = generation

    def finished(self, generation: GenerationLog) -> None:
        """The generation has ended here; its terminal event frees its keys in Redis."""
        with self._lock:
            self._own.pop(generation.id, None)

    def get(self, generation_id: str, user_id: str):
        """The user's generation, run here or anywhere else; another user's is unknown."""
        self.start()
        own = self._own.get(generation_id)
        if own is not None:
            return own if own.user_id == user_id else None
        try:
            fields = self.redis.hgetall(generation_key(generation_id))
        except RedisError as error:
            raise unavailable(error) from error
        if not fields or fields[b"user_id"].decode() != user_id:
            return None
        return SharedLog(self, generation_id, fields)

    def of_conversation(self, conversation_id: str, user_id: str):
        """The user's generation running in the conversation, on any worker, or None."""
        try:
            value = self.redis.get(conversation_key(conversation_id))
        except RedisError as error:
            raise unavailable(error) from error
        if value is None or value.startswith(b"pending:"):
            return None
        return self.get(value.decode(), user_id)

    def running(self) -> list[GenerationLog]:
        with self._lock:
            return [generation for generation in self._own.values() if not generation.finished]

    def healthy(self) -> bool:
        try:
            return bool(self.redis.ping())
        except RedisError:
            return False

    def start(self) -> None:
        """Start this worker's lease and stop listener (once; in the worker that serves)."""
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            self._started = True
        # On the roll before the first generation: a worker killed at once is still noticed.
        with suppress(RedisError):
            self._renew()
        spawn(self._renew_loop, name="engine-lease")
        spawn(self._listen_loop, name="engine-stop-listener")

    def close(self) -> None:
        self._closed.set()
        if self._started:
            with suppress(RedisError):
                self._leave(keys=[WORKERS, worker_key(self.worker_id)], args=[self.worker_id])
        self.redis.close()
        self.blocking.close()

    @property
    def _reservation(self) -> str:
        return f"pending:{self.worker_id}"
