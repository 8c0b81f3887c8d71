"""Run one generation in its own greenlet: stream the turn into the log and the store.

The HTTP response only reads the log, so the generation finishes and is saved even if every
client has gone. The assistant row is flushed about once a second and always ends
`complete`, `interrupted` or `error` with the text produced so far.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
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
        store = app.extensions["store"].for_user(identity)
        lapsed = partial(close_for_lapsed_session, app, identity.user_id, generation.message_id)
        flush_every = config["CONTENT_FLUSH_SECONDS"]
        writer = MessageWriter(store, generation.message_id, flush_every, lapsed)
        state = TurnState()
        deadline = time.monotonic() + config["TURN_DEADLINE_SECONDS"]
        try:
            for type_, data in run_turn(app, store, generation, state):
                if generation.stop_requested.is_set():
                    raise Stopped
                if time.monotonic() > deadline:
                    raise AppError("DEADLINE_EXCEEDED")
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
            app.extensions["generations"].finished(generation)


def _end(generation, writer, state, status: str, finish_reason: str) -> None:
    _save(writer, status, state)
    generation.append(
        "complete",
        {
            "message_id": generation.message_id,
            "agent_type": state.agent_type,
            "finish_reason": finish_reason,
            "usage": state.usage,
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
