"""The Redis engine's writer: every generation's events of a worker go to Redis in one
pipeline (group commit), and each is published to the worker's own readers only once Redis
has it, so a client never sees an event the shared log lacks (engine/shared.py)."""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from ..sse import ServerSentEvent
from .log import GenerationLog
from .redis_keys import (
    APPEND,
    RELEASE,
    WRITE_WINDOW_SECONDS,
    claim_key,
    conversation_key,
    generation_key,
    log_key,
    unavailable,
    worker_key,
    xadd,
)
from .spawn import spawn

log = logging.getLogger(__name__)


class Writer:
    """The writing half of `SharedRegistry` (a mixin: it uses the registry's client, lock,
    pending events and retention)."""

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
            keys = [log_key(generation.id) for generation, _ in words]
            fields = [f for _, e in words for f in (f"0-{e.id}", e.type, e.frame)]
            pipe.eval(APPEND, len(keys), *keys, *fields)
        ends = []
        for generation, event in written:
            if event.terminal:
                first = len(pipe.command_stack)
                self._end_commands(pipe, generation, event, self.worker_id)
                ends.append((generation, first, len(pipe.command_stack)))
        try:
            results = pipe.execute(raise_on_error=False)
        except RedisError as error:
            unavailable(error)
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
        key, stream = generation_key(generation.id), log_key(generation.id)
        # EVAL, not a registered script, in every pipeline: a pipeline with a registered
        # script first asks Redis whether it knows it, one more round trip each time.
        pipe.eval(RELEASE, 1, conversation_key(generation.conversation_id), generation.id)
        if generation.client_message_id:
            claim = claim_key(generation.user_id, generation.client_message_id)
            pipe.set(claim, generation.id, px=self.retention_ms)
        pipe.srem(worker_key(owner), generation.id)
        xadd(pipe, generation.id, event)
        pipe.hset(key, "ended", "1")
        pipe.pexpire(key, self.retention_ms)
        pipe.pexpire(stream, self.retention_ms)


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
