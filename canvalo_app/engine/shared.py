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
from .log import GenerationLog
from .spawn import spawn

log = logging.getLogger(__name__)

PREFIX = "canvalo:gen:"
WORKERS = PREFIX + "w"
CHANNEL = PREFIX + "stop"
PENDING = b"pending"
#: Ordinary commands fail after this long; a send then gets 503 at once.
SOCKET_TIMEOUT = 2.0
CONNECT_TIMEOUT = 1.0
#: A reader blocks at most this long per read (its heartbeat is usually shorter).
BLOCK_LIMIT = 30.0
READ_BATCH = 1000
#: How long the writer gathers events before it sends them to Redis in one pipeline: a few
#: milliseconds on each word buys far fewer round trips (see docs/benchmarks.md).
WRITE_WINDOW_SECONDS = 0.005
#: How often a copy of a send looks again for the generation the first copy starts.
CLAIM_POLL_SECONDS = 0.05

# Renew this worker's lease; return the workers whose lease has lapsed.
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], now, ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
"""
# Renew the leases of a worker's conversations and claims.
_RENEW = """
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 0
"""
# Add words to their generations' logs (KEYS: the logs; ARGV: entry id, type, frame for
# each); answer the positions of those refused (a log another worker has ended).
_APPEND = """
local refused = {}
for i = 1, #KEYS do
  local added = redis.pcall('XADD', KEYS[i], ARGV[3*i-2], 't', ARGV[3*i-1], 'f', ARGV[3*i])
  if type(added) == 'table' and added.err then refused[#refused + 1] = i end
end
return refused
"""
# Take a lapsed worker's generations (only one taker wins); return their ids.
_ADOPT = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {} end
local dead = ARGV[3] .. 'w:' .. ARGV[1]
local mine = ARGV[3] .. 'w:' .. ARGV[2]
local ids = redis.call('SMEMBERS', dead)
for _, id in ipairs(ids) do
  redis.call('SADD', mine, id)
  redis.call('HSET', ARGV[3] .. 'g:' .. id, 'owner', ARGV[2])
end
redis.call('DEL', dead)
return ids
"""
# Delete a key only while it holds the given value.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# A worker that stops with nothing running leaves the roll; otherwise its lease lapses.
_LEAVE = """
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""


def _generation_key(generation_id: str) -> str:
    return f"{PREFIX}g:{generation_id}"


def _log_key(generation_id: str) -> str:
    return f"{PREFIX}g:{generation_id}:log"


def _conversation_key(conversation_id: str) -> str:
    return f"{PREFIX}c:{conversation_id}"


def _claim_key(user_id: str, client_message_id: str) -> str:
    return f"{PREFIX}m:{user_id}:{client_message_id}"


def _worker_key(worker_id: str) -> str:
    return f"{PREFIX}w:{worker_id}"


def _unavailable(error: Exception) -> AppError:
    log.warning("generation state unavailable: %s", error.__class__.__name__)
    return AppError("ENGINE_UNAVAILABLE")


def _xadd(pipe, generation_id: str, event: ServerSentEvent) -> None:
    """Log an event under the entry id 0-{event id}, so ids read back as they were sent."""
    pipe.execute_command(
        "XADD", _log_key(generation_id), f"0-{event.id}", "t", event.type, "f", event.frame
    )


def _event(entry_id: bytes, fields: dict) -> ServerSentEvent:
    return ServerSentEvent(int(entry_id.split(b"-")[1]), fields[b"t"].decode(), frame=fields[b"f"])


class SharedRegistry:
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
        self._adopt = self.redis.register_script(_ADOPT)
        self._release = self.redis.register_script(_RELEASE)
        self._leave = self.redis.register_script(_LEAVE)
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
        key = _claim_key(user_id, client_message_id)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.redis.set(key, PENDING, nx=True, px=self.lease_ms):
                    return None
                value = self.redis.get(key)
            except RedisError as error:
                raise _unavailable(error) from error
            if value is not None and value != PENDING:
                attached = self.get(value.decode(), user_id)
                if attached is not None:
                    return attached
                self._release(keys=[key], args=[value])  # its generation is gone
                continue
            if value is None:
                continue  # given back between the two commands
            if time.monotonic() >= deadline:
                raise AppError("CONVERSATION_BUSY")
            time.sleep(CLAIM_POLL_SECONDS)

    def unclaim(self, user_id: str, client_message_id: str) -> None:
        try:
            self._release(keys=[_claim_key(user_id, client_message_id)], args=[PENDING])
        except RedisError as error:  # the claim lapses with its lease
            _unavailable(error)

    def reserve(self, conversation_id: str) -> None:
        """Claim the conversation for a new generation, or 409 if one is running anywhere."""
        try:
            reserved = self.redis.set(
                _conversation_key(conversation_id), self._reservation, nx=True, px=self.lease_ms
            )
        except RedisError as error:
            raise _unavailable(error) from error
        if not reserved:
            raise AppError("CONVERSATION_BUSY")

    def release(self, conversation_id: str) -> None:
        try:
            self._release(keys=[_conversation_key(conversation_id)], args=[self._reservation])
        except RedisError as error:  # the reservation lapses with its lease
            _unavailable(error)

    def add(self, generation: GenerationLog) -> None:
        """Register a started generation (its `start` event already logged) for every worker;
        from now on its events go to Redis before its readers see them."""
        self.start()
        pipe = self.redis.pipeline(transaction=True)
        key, log_key = _generation_key(generation.id), _log_key(generation.id)
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
            _xadd(pipe, generation.id, event)
        pipe.pexpire(log_key, self.running_ttl_ms)
        pipe.set(_conversation_key(generation.conversation_id), generation.id, px=self.lease_ms)
        if generation.client_message_id:
            claim = _claim_key(generation.user_id, generation.client_message_id)
            pipe.set(claim, generation.id, px=self.lease_ms)
        pipe.sadd(_worker_key(self.worker_id), generation.id)
        try:
            pipe.execute()
        except RedisError as error:
            raise _unavailable(error) from error
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
            fields = self.redis.hgetall(_generation_key(generation_id))
        except RedisError as error:
            raise _unavailable(error) from error
        if not fields or fields[b"user_id"].decode() != user_id:
            return None
        return SharedLog(self, generation_id, fields)

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
                self._leave(keys=[WORKERS, _worker_key(self.worker_id)], args=[self.worker_id])
        self.redis.close()
        self.blocking.close()

    @property
    def _reservation(self) -> str:
        return f"pending:{self.worker_id}"

    # -- Writing: every worker's events in one pipeline ---------------------------------

    def _enqueue(self, generation: GenerationLog, event: ServerSentEvent) -> None:
        with self._lock:
            if generation.sink is None:  # lost while this event was on its way here
                generation.publish(event)
                return
            self._pending.append((generation, event))
            if self._writing:
                return
            self._writing = True
        spawn(self._write_loop, name="engine-writer")

    def _write_loop(self) -> None:
        while True:
            time.sleep(WRITE_WINDOW_SECONDS)
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._writing = False
                    return
            try:
                self._write(batch)
            except Exception:  # a defect: the readers still get their events
                log.exception("could not write %d event(s)", len(batch))
                self._lose(batch, "engine")

    def _write(self, batch: list[tuple[GenerationLog, ServerSentEvent]]) -> None:
        """One pipeline: every word in one script call, then each ending generation's
        commands; each generation's events are published once Redis has taken them."""
        written = []
        for generation, event in batch:
            if generation.sink is None:  # detached from Redis: this worker's readers only
                generation.publish(event)
            else:
                written.append((generation, event))
        if not written:
            return
        pipe = self.redis.pipeline(transaction=False)
        words = [(generation, event) for generation, event in written if not event.terminal]
        if words:
            keys = [_log_key(generation.id) for generation, _ in words]
            fields = [f for _, e in words for f in (f"0-{e.id}", e.type, e.frame)]
            pipe.eval(_APPEND, len(keys), *keys, *fields)
        ends = []
        for generation, event in written:
            if event.terminal:
                first = len(pipe.command_stack)
                self._end_commands(pipe, generation, event, self.worker_id)
                ends.append((generation, first, len(pipe.command_stack)))
        try:
            results = pipe.execute(raise_on_error=False)
        except RedisError as error:
            _unavailable(error)
            self._lose(written, "engine")
            return
        refused = _refused(results, words, ends)
        for generation, event in written:
            if generation in refused:  # ended by another worker, which took it for lost
                self._lose([(generation, event)], "lost")
            else:
                generation.publish(event)

    def _lose(self, batch: list[tuple[GenerationLog, ServerSentEvent]], reason: str) -> None:
        """Redis did not take these events: this worker's readers still get them, with those
        of the same generations still waiting, in order; from now on their events go to
        this worker's readers only, and each generation ends (its text saved by its runner)
        with `ENGINE_UNAVAILABLE` (reason "engine") or, when another worker has already
        ended it, `WORKER_LOST` ("lost")."""
        lost = {generation: None for generation, _ in batch}
        with self._lock:
            later = [(g, event) for g, event in self._pending if g in lost]
            self._pending = [(g, event) for g, event in self._pending if g not in lost]
            for generation, event in batch + later:
                generation.sink = None
                generation.publish(event)
        for generation in lost:
            if not generation.finished:
                spawn(generation.request_stop, reason, name=f"generation-{generation.id}")

    def _end_commands(self, pipe, generation, event: ServerSentEvent, owner: str) -> None:
        """Free the conversation, keep the claim for the retention, then log the terminal
        event: a client that has read it may send again at once."""
        key, log_key = _generation_key(generation.id), _log_key(generation.id)
        # EVAL, not a registered script, in every pipeline: a pipeline with a registered
        # script first asks Redis whether it knows it, one more round trip each time.
        pipe.eval(_RELEASE, 1, _conversation_key(generation.conversation_id), generation.id)
        if generation.client_message_id:
            claim = _claim_key(generation.user_id, generation.client_message_id)
            pipe.set(claim, generation.id, px=self.retention_ms)
        pipe.srem(_worker_key(owner), generation.id)
        _xadd(pipe, generation.id, event)
        pipe.hset(key, "ended", "1")
        pipe.pexpire(key, self.retention_ms)
        pipe.pexpire(log_key, self.retention_ms)

    # -- Liveness, stop, takeover ------------------------------------------------------

    def _renew_loop(self) -> None:
        while not self._closed.is_set():
            try:
                lapsed = self._renew()
            except RedisError as error:
                _unavailable(error)
                for generation in self.running():
                    generation.request_stop("engine")
                lapsed = []
            for worker in lapsed:
                spawn(self._take_over_worker, worker.decode(), name="engine-takeover")
            self._closed.wait(self.renew)

    def _renew(self) -> list[bytes]:
        """This worker's lease, and those of its conversations and claims, in two script
        calls; returns the workers whose lease has lapsed."""
        keys = []
        for generation in self.running():
            keys.append(_conversation_key(generation.conversation_id))
            if generation.client_message_id:
                keys.append(_claim_key(generation.user_id, generation.client_message_id))
        pipe = self.redis.pipeline(transaction=False)
        pipe.eval(_BEAT, 1, WORKERS, self.worker_id, self.lease)
        if keys:
            pipe.eval(_RENEW, len(keys), *keys, self.lease_ms)
        return pipe.execute()[0]

    def _listen_loop(self) -> None:
        while not self._closed.is_set():
            pubsub = self.blocking.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(CHANNEL)
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        own = self._own.get(message["data"].decode())
                        if own is not None:
                            own.request_stop("user")
            except Exception as error:  # a lost connection, or one closed under it by close()
                if self._closed.is_set():
                    return
                log.warning("stop listener reconnecting: %s", error.__class__.__name__)
                self._closed.wait(1.0)
            finally:
                pubsub.close()

    def _take_over_worker(self, worker: str) -> None:
        try:
            taken = self._adopt(keys=[WORKERS], args=[worker, self.worker_id, PREFIX])
        except RedisError as error:
            _unavailable(error)
            return
        if taken:
            log.warning("worker %s lapsed: taking over %d generation(s)", worker, len(taken))
        for generation_id in taken:
            try:
                self._take_over(generation_id.decode())
            except (RedisError, AppError) as error:
                log.warning("could not take over generation %s: %s", generation_id, error)

    def _take_over(self, generation_id: str) -> None:
        """End a lapsed worker's generation: its row `interrupted` with all the text of its
        log, then one terminal `WORKER_LOST`, and its conversation freed."""
        fields = self.redis.hgetall(_generation_key(generation_id))
        if not fields or fields.get(b"ended"):
            self.redis.srem(_worker_key(self.worker_id), generation_id)
            return
        generation = SharedLog(self, generation_id, fields)
        events = [_event(*entry) for entry in self.redis.xrange(_log_key(generation_id))]
        if events and events[-1].terminal:  # it ended as its worker went
            terminal = events[-1]
        else:
            data = [(event.type, event.data()) for event in events]
            text = "".join(d["content"] for type_, d in data if type_ == "token")
            agents = [d["agent_type"] for type_, d in data if type_ == "agent"]
            store = self.store.maintenance_for(generation.user_id)
            if store is None:
                log.warning("no maintenance credentials: %s stays streaming", generation.message_id)
            else:
                store.update_message(
                    generation.message_id,
                    if_streaming=True,
                    content=text,
                    status="interrupted",
                    agent_type=agents[-1] if agents else None,
                    metadata={"error_code": "WORKER_LOST"},
                )
            last_id = events[-1].id if events else 0
            terminal = ServerSentEvent(last_id + 1, "error", AppError("WORKER_LOST").event_data())
        pipe = self.redis.pipeline(transaction=False)
        self._end_commands(pipe, generation, terminal, self.worker_id)
        results = pipe.execute(raise_on_error=False)
        if any(isinstance(result, Exception) for result in results):
            log.warning("generation %s: ending it in Redis was refused", generation_id)


def _refused(results: list, words: list, ends: list) -> set[GenerationLog]:
    """The generations whose events Redis refused: the words the script reports (all of
    them if the script failed), and the endings with a failed command."""
    refused = set()
    if words:  # the script answers the (1-based) positions of the words it could not add
        failed = results[0]
        positions = range(1, len(words) + 1) if isinstance(failed, Exception) else failed
        refused.update(words[position - 1][0] for position in positions)
    for generation, first, last in ends:
        if any(isinstance(result, Exception) for result in results[first:last]):
            refused.add(generation)
    return refused


class SharedLog:
    """A generation read from Redis: the reader's side of a log another worker (or this
    one, earlier) writes. It has the reading interface of `GenerationLog`."""

    def __init__(self, registry: SharedRegistry, generation_id: str, fields: dict):
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
        key, log_key = _generation_key(self.id), _log_key(self.id)
        try:
            pipe = self.registry.redis.pipeline(transaction=False)
            pipe.hmget(key, "ended", "user_id")  # before the read: `ended` means all is there
            pipe.xread({log_key: f"0-{after}"}, count=READ_BATCH)
            (ended, exists), entries = pipe.execute()
            events = self._events(entries)
            if events:
                return events, events[-1].terminal
            if ended or exists is None or timeout <= 0:
                return [], bool(ended or exists is None)
            block_ms = int(min(timeout, BLOCK_LIMIT) * 1000)
            entries = self.registry.blocking.xread(
                {log_key: f"0-{after}"}, count=READ_BATCH, block=block_ms
            )
        except RedisError as error:
            _unavailable(error)
            lost = AppError("ENGINE_UNAVAILABLE").event_data()
            return [ServerSentEvent(after + 1, "error", lost)], True
        events = self._events(entries)
        return events, bool(events) and events[-1].terminal

    @staticmethod
    def _events(entries) -> list[ServerSentEvent]:
        return [_event(*entry) for _, stream in entries or () for entry in stream]

    def request_stop(self, reason: str = "user") -> None:
        """Ask the worker running it to stop it; that worker ends it within a second."""
        try:
            self.registry.redis.publish(CHANNEL, self.id)
        except RedisError as error:
            raise _unavailable(error) from error

    def wait_finished(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ended = self.registry.redis.hget(_generation_key(self.id), "ended")
            except RedisError as error:
                raise _unavailable(error) from error
            if ended or time.monotonic() >= deadline:
                return bool(ended)
            time.sleep(CLAIM_POLL_SECONDS)
