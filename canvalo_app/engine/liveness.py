"""Liveness for the Redis engine: each worker's lease, the stop channel, and taking over
the generations of a worker whose lease has lapsed (see engine/shared.py)."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from ..errors import AppError
from ..sse import ServerSentEvent
from .redis_keys import (
    BEAT,
    CHANNEL,
    PREFIX,
    RENEW,
    WORKERS,
    claim_key,
    conversation_key,
    event_of,
    generation_key,
    log_key,
    unavailable,
    worker_key,
)
from .shared_log import SharedLog
from .spawn import spawn

log = logging.getLogger(__name__)


class Liveness:
    """The lease, stop and takeover half of `SharedRegistry` (a mixin: it uses the
    registry's clients, worker id, lease settings and running generations)."""

    def _renew_loop(self) -> None:
        while not self._closed.is_set():
            try:
                lapsed = self._renew()
            except RedisError as error:
                unavailable(error)
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
            keys.append(conversation_key(generation.conversation_id))
            if generation.client_message_id:
                keys.append(claim_key(generation.user_id, generation.client_message_id))
        pipe = self.redis.pipeline(transaction=False)
        pipe.eval(BEAT, 1, WORKERS, self.worker_id, self.lease)
        if keys:
            pipe.eval(RENEW, len(keys), *keys, self.lease_ms)
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
            unavailable(error)
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
        fields = self.redis.hgetall(generation_key(generation_id))
        if not fields or fields.get(b"ended"):
            self.redis.srem(worker_key(self.worker_id), generation_id)
            return
        generation = SharedLog(self, generation_id, fields)
        events = [event_of(*entry) for entry in self.redis.xrange(log_key(generation_id))]
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
