"""Run one generation in its own greenlet: stream the turn into the log and the store.

The HTTP response only reads the log, so the generation finishes and is saved even if every
client has gone. The assistant row is flushed about once a second and always ends
`complete`, `interrupted` or `error` with the text produced so far.

The turn itself (model calls, tools) runs in a greenlet of its own and hands its events over
through a queue, so a stop, the worker's shutdown or the turn deadline ends the generation at
once, even while a model call or a tool is still waiting on the network. The abandoned turn
emits nothing more: it ends at its next event, and only the generation writes the log and
the row.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from flask import Flask

from ..agents.runtime import TurnState, run_turn
from ..errors import AppError
from ..logs import current_request_id, set_request_id
from ..store.base import Identity, UserStore
from .log import GenerationLog
from .sweep import close_for_lapsed_session

log = logging.getLogger(__name__)
_TURN_OVER = object()
_STOP = object()


class Stopped(Exception):
    """The generation was asked to stop (by its user, or because the worker is exiting)."""


@dataclass
class MessageWriter:
    """The assistant row: content buffered in memory, flushed at most every `interval` s.

    A failed flush does not end the answer: the text stays in memory for the next flush and
    the final save. If the user's token expires during the turn, `on_lapsed` saves the final
    state instead (see engine/sweep.py).
    """

    store: UserStore
    message_id: str
    interval: float
    on_lapsed: Callable[[dict], bool]
    content: str = ""
    _flushed_at: float = field(default_factory=time.monotonic)
    _dirty: bool = False

    def add(self, text: str) -> None:
        self.content += text
        self._dirty = True
        if time.monotonic() - self._flushed_at >= self.interval:
            self.flush()

    def flush(self) -> None:
        self._flushed_at = time.monotonic()
        if not self._dirty:
            return
        try:
            self.store.update_message(self.message_id, content=self.content)
        except AppError as error:
            log.warning("could not flush message %s: %s", self.message_id, error.code)
            return
        self._dirty = False

    def finish(self, status: str, state: TurnState, error_code: str | None = None) -> None:
        metadata = state.metadata()
        if error_code:
            metadata["error_code"] = error_code
        fields = {
            "content": self.content,
            "status": status,
            "agent_type": state.agent_type,
            "metadata": metadata,
        }
        try:
            self.store.update_message(self.message_id, **fields)
        except AppError as error:
            if error.code != "TOKEN_EXPIRED" or not self.on_lapsed(fields):
                raise


class TurnFeed:
    """The turn's events, produced in a greenlet (a thread outside gevent) of its own.

    The generation reads them with `events`, which gives up on a stop or at the deadline
    without waiting for the turn. After `abandon` (or a stop) the turn ends at its next event,
    so no further tool runs and no further model call is made; what it yields is dropped.
    """

    def __init__(self, app: Flask, store: UserStore, generation: GenerationLog, state: TurnState):
        self._queue: queue.Queue = queue.Queue()
        self._abandoned = threading.Event()
        self._stop_requested = generation.stop_requested
        generation.stop_listeners.append(lambda: self._queue.put(_STOP))  # wakes `events`
        threading.Thread(
            target=self._produce,
            name=f"turn-{generation.id}",
            args=(app, store, generation, state, current_request_id()),
            daemon=True,
        ).start()

    def _produce(self, app, store, generation, state, request_id: str) -> None:
        set_request_id(request_id)
        with app.app_context():
            turn = run_turn(app, store, generation, state)
            try:
                for event in turn:
                    if self._abandoned.is_set() or self._stop_requested.is_set():
                        turn.close()  # the turn ends where it stands
                        return
                    self._queue.put(event)
                self._queue.put(_TURN_OVER)
            except Exception as error:  # the generation reports it, if it is still listening
                self._queue.put(error)

    def events(self, deadline: float) -> Iterator[tuple[str, dict]]:
        """The turn's events as they come; `Stopped` on a stop, DEADLINE_EXCEEDED at the
        deadline, and the turn's own failure when it fails. Whatever ends the reading
        abandons the turn, before the generation saves its row."""
        try:
            while True:
                if self._stop_requested.is_set():
                    raise Stopped
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AppError("DEADLINE_EXCEEDED")
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    continue
                if item is _STOP:
                    raise Stopped
                if item is _TURN_OVER:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self.abandon()

    def abandon(self) -> None:
        self._abandoned.set()


def start_generation(app: Flask, generation: GenerationLog, identity: Identity) -> None:
    """Run the generation in its own greenlet (a thread outside gevent)."""
    request_id = current_request_id()
    worker = threading.Thread(
        target=run_generation,
        name=f"generation-{generation.id}",
        args=(app, generation, identity, request_id),
        daemon=True,
    )
    worker.start()


def run_generation(
    app: Flask, generation: GenerationLog, identity: Identity, request_id: str = "-"
) -> None:
    set_request_id(request_id)
    with app.app_context():
        config = app.config
        stores = app.extensions["store"]
        store = stores.for_user(identity)
        lapsed = partial(close_for_lapsed_session, app, identity.user_id, generation.message_id)
        flush_every = config["CONTENT_FLUSH_SECONDS"]
        writer = MessageWriter(store, generation.message_id, flush_every, lapsed)
        state = TurnState()
        deadline = time.monotonic() + config["TURN_DEADLINE_SECONDS"]
        turn = None
        try:
            # The turn and the row writer run side by side: each has its own store handle.
            turn = TurnFeed(app, stores.for_user(identity), generation, state)
            for type_, data in turn.events(deadline):
                if type_ == "token":
                    writer.add(data["content"])
                generation.append(type_, data)
            if generation.stop_requested.is_set():
                raise Stopped
            _end(generation, writer, state, "complete", state.finish_reason)
        except Stopped:
            if generation.stop_reason == "shutdown":
                _fail(generation, writer, state, AppError("SHUTTING_DOWN"), "interrupted")
            else:
                _end(generation, writer, state, "interrupted", "stopped")
        except AppError as error:
            log.warning("generation %s failed: %s", generation.id, error.code)
            _fail(generation, writer, state, error, "error")
        except Exception:
            log.exception("generation %s crashed", generation.id)
            _fail(generation, writer, state, AppError("INTERNAL_ERROR"), "error")
        finally:
            if turn is not None:
                turn.abandon()
            app.extensions["generations"].finished(generation)


def _end(generation, writer, state, status: str, finish_reason: str) -> None:
    _save(writer, status, state)
    generation.append(
        "complete",
        {
            "message_id": generation.message_id,
            "agent_type": state.agent_type,
            "finish_reason": finish_reason,
            "usage": dict(state.usage),  # an abandoned turn may still count its last call
        },
    )


def _fail(generation, writer, state, error: AppError, status: str) -> None:
    _save(writer, status, state, error.code)
    generation.append("error", error.event_data())


def _save(writer: MessageWriter, status: str, state: TurnState, error_code=None) -> None:
    """Save the final row; if even that fails, the terminal event still goes out."""
    try:
        writer.finish(status, state, error_code)
    except Exception:
        log.exception("could not save the final state of message %s", writer.message_id)
