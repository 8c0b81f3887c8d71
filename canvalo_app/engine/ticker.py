"""The engine's one background loop: deadlines, and streaming text saved in batches.

While any generation runs, one greenlet (a thread outside gevent) per app wakes every
`TICK_SECONDS`: it ends each generation whose turn deadline has passed, and every
`CONTENT_FLUSH_SECONDS` it saves the new text of every streaming row in one batch (one
transaction on SQLite), instead of each generation writing its own row once a second. It
stops when the last generation has ended and starts again with the next one.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time

from ..errors import AppError
from ..store.base import Store, StreamingText
from .spawn import spawn

log = logging.getLogger(__name__)
#: How late a deadline may be noticed, at most.
TICK_SECONDS = 0.1


class Ticker:
    def __init__(self, store: Store, flush_seconds: float):
        self.store = store
        self.flush_seconds = flush_seconds
        self._live: dict = {}  # generation -> None, in the order they started
        self._deadlines: list = []  # heap of (deadline, sequence, generation)
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._running = False
        self._flushing = threading.Lock()  # held while a flush is under way

    def watch(self, generation) -> None:
        """Track a starting generation until it ends (`forget`)."""
        with self._lock:
            self._live[generation] = None
            entry = (generation.deadline, next(self._sequence), generation)
            heapq.heappush(self._deadlines, entry)
            if not self._running:
                self._running = True
                spawn(self._loop, name="engine-ticker")

    def forget(self, generation) -> None:
        with self._lock:
            self._live.pop(generation, None)

    def _loop(self) -> None:
        flushed_at = time.monotonic()
        while True:
            time.sleep(min(TICK_SECONDS, self.flush_seconds) or 0.01)
            with self._lock:
                if not self._live:
                    self._running = False
                    self._deadlines.clear()
                    return
            now = time.monotonic()
            for generation in self._past_deadline(now):
                generation.fail(AppError("DEADLINE_EXCEEDED"), "error")
            if now - flushed_at >= self.flush_seconds and not self._flushing.locked():
                flushed_at = now
                # In a greenlet of its own: a slow or retried write never delays a deadline.
                spawn(self._flush_once, name="engine-flush")

    def _flush_once(self) -> None:
        with self._flushing:
            try:
                self.flush()
            except Exception:  # a defect: the text stays in memory for the final save
                log.exception("could not save streaming text")

    def _past_deadline(self, now: float) -> list:
        with self._lock:
            due = []
            while self._deadlines and self._deadlines[0][0] <= now:
                due.append(heapq.heappop(self._deadlines)[2])
            return [generation for generation in due if not generation.ended]

    def flush(self) -> int:
        """Save the new text of every streaming row, in one batch; how many rows it sent."""
        with self._lock:
            writers = [g.writer for g in self._live if g.writer.dirty]
        if not writers:
            return 0
        marks, batch = {}, []
        for writer in writers:
            content, marks[writer.message_id] = writer.unsaved()
            batch.append(StreamingText(writer.store, writer.message_id, content))
        try:
            saved = self.store.save_streaming_text(batch)
        except AppError as error:  # kept in memory for the next flush and the final save
            log.warning("could not save the text of %d message(s): %s", len(batch), error.code)
            return 0
        by_id = {writer.message_id: writer for writer in writers}
        for message_id in saved:
            by_id[message_id].saved(marks[message_id])
        return len(saved)
