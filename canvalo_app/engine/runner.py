"""Run one generation: the turn streams into the log and the row, in a greenlet of its own.

The HTTP response only reads the log, so the generation finishes and is saved even if every
client has gone. The assistant row's text is written while streaming by the engine's
ticker, in one batch for all generations (see engine/ticker.py), and the row always ends
`complete`, `interrupted` or `error` with the text produced so far.

On a conversation's first turn a second greenlet asks the model for the conversation's
title beside the answer (agents/titles.py; `MODEL_TITLES`). Once saved, the title goes into
the log as a `title` event if the generation has not ended yet — usually so, since the call
is short and starts with the turn — and is otherwise only stored (GET and the list show it).
Its failure is logged and never reaches the answer.

A generation ends exactly once, by whoever gets there first: the turn when it finishes or
fails, a stop (the user's, or the worker's shutdown) in the caller's own greenlet, or the
ticker at the deadline. Stop and deadline end it at once, even while a model call or a tool
is still waiting on the network: the turn is abandoned, and it ends at its next event, so no
further tool runs, no further model call is made, and nothing more reaches the log or row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

from flask import Flask

from ..agents.runtime import TurnState, run_turn
from ..agents.summary import refresh_summary
from ..agents.titles import write_title
from ..errors import AppError
from ..logs import current_request_id, set_request_id
from ..metrics import error_answered, timed_generation
from ..store.base import Identity, UserStore
from .log import GenerationLog
from .spawn import spawn
from .sweep import close_for_lapsed_session

log = logging.getLogger(__name__)
#: Stops that are not the user's, and the error that ends the stream for each.
STOP_ERRORS = {
    "shutdown": "SHUTTING_DOWN",
    "engine": "ENGINE_UNAVAILABLE",  # Redis cannot be reached
    "lost": "WORKER_LOST",  # another worker took this one for dead and ended the generation
}


class MessageWriter:
    """The assistant row's text, kept in memory; the ticker saves it while streaming and
    the generation saves it whole at the end.

    If the user's token expires during the turn, `on_lapsed` saves the final state instead
    (see engine/sweep.py).
    """

    def __init__(self, store: UserStore, message_id: str, on_lapsed: Callable[[dict], bool]):
        self.store = store
        self.message_id = message_id
        self.on_lapsed = on_lapsed
        self._parts: list[str] = []
        self._saved_parts = 0  # how many parts the row already holds

    @property
    def content(self) -> str:
        return "".join(self._parts)

    @property
    def dirty(self) -> bool:
        return len(self._parts) != self._saved_parts

    def add(self, text: str) -> None:
        self._parts.append(text)

    def unsaved(self) -> tuple[str, int]:
        """The whole text so far, and the mark to pass to `saved` once it is in the row."""
        count = len(self._parts)
        return "".join(self._parts[:count]), count

    def saved(self, mark: int) -> None:
        self._saved_parts = max(self._saved_parts, mark)

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
            # Only while `streaming`: a row already finished elsewhere (another worker took
            # this one for dead) is left as that worker saved it.
            saved = self.store.update_message(self.message_id, if_streaming=True, **fields)
        except AppError as error:
            if error.code != "TOKEN_EXPIRED" or not self.on_lapsed(fields):
                raise
            return
        if saved is not None and any(state.usage.values()):
            self.keep_usage(state.usage)

    def keep_usage(self, usage: dict) -> None:
        """The answer's tokens, for /api/usage and the quota; the answer is saved already,
        so a store that fails here costs only the count (logged), never the answer."""
        try:
            self.store.record_usage(self.message_id, **usage)
        except AppError as error:
            log.warning("tokens of %s not counted: %s", self.message_id, error.code)


class Generation:
    """One running generation: its log, its row, its turn's state, and how it ends."""

    def __init__(self, app: Flask, log_: GenerationLog, identity: Identity):
        self.app = app
        self.log = log_
        self.identity = identity
        stores = app.extensions["store"]
        lapsed = partial(close_for_lapsed_session, app, identity.user_id, log_.message_id)
        self.writer = MessageWriter(stores.for_user(identity), log_.message_id, lapsed)
        self.state = TurnState()
        self.deadline = time.monotonic() + app.config["TURN_DEADLINE_SECONDS"]
        self.ended = False
        self._lock = threading.Lock()  # one writer of the log at a time; `ended` flips once

    def emit(self, type_: str, data: dict) -> bool:
        """Log one event of the turn; False once the generation has ended (the turn stops)."""
        with self._lock:
            if self.ended:
                return False
            if type_ == "token":
                self.writer.add(data["content"])
            self.log.append(type_, data)
            return True

    def run_turn(self, request_id: str) -> None:
        """The turn, in its own greenlet: stream it, then end the generation with its outcome."""
        set_request_id(request_id)
        with self.app.app_context():
            store = self.app.extensions["store"].for_user(self.identity)
            turn = run_turn(self.app, store, self.log, self.state)
            turn = timed_generation(turn, self.state.usage)  # metrics: TTFT, duration, tokens
            try:
                for type_, data in turn:
                    if not self.emit(type_, data):
                        return  # stopped or past the deadline: abandoned where it stands
                self.complete("complete", self.state.finish_reason)
                self.fold_history(store)
            except AppError as error:
                log.warning("generation %s failed: %s", self.log.id, error.code)
                self.fail(error, "error")
            except Exception:
                log.exception("generation %s crashed", self.log.id)
                self.fail(AppError("INTERNAL_ERROR"), "error")
            finally:
                turn.close()

    def title_conversation(self, request_id: str) -> None:
        """Beside the turn, in a greenlet of its own: the model's title for a conversation on
        its first turn, saved, then sent while the stream is still open."""
        set_request_id(request_id)
        conversation_id = self.log.conversation_id
        with self.app.app_context():
            try:
                store = self.app.extensions["store"].for_user(self.identity)
                title = write_title(self.app, store, conversation_id, self.log.user_message_id)
            except AppError as error:
                log.warning("could not title conversation %s: %s", conversation_id, error.code)
                return
            except Exception:
                log.exception("could not title conversation %s", conversation_id)
                return
            if title:  # refused once the terminal event is out: then it is only stored
                self.emit("title", {"conversation_id": conversation_id, "title": title})

    def fold_history(self, store) -> None:
        """After the stream has ended: fold turns that no longer fit the history into the
        conversation's summary (agents/summary.py). Never fails the finished turn."""
        try:
            refresh_summary(self.app, store, self.log.conversation_id, self.log.message_id)
        except Exception:  # the shortened turns stand in for the summary
            log.exception("could not fold the history of %s", self.log.conversation_id)

    def stop(self, reason: str) -> None:
        """End now, keeping the partial answer: the user's stop, the worker's shutdown, or
        the loss of the shared engine state (Redis)."""
        if reason in STOP_ERRORS:
            self.fail(AppError(STOP_ERRORS[reason]), "interrupted")
        else:
            self.complete("interrupted", "stopped")

    def complete(self, status: str, finish_reason: str) -> None:
        def terminal() -> tuple[str, dict]:
            return "complete", {
                "message_id": self.log.message_id,
                "agent_type": self.state.agent_type,
                "finish_reason": finish_reason,
                "usage": dict(self.state.usage),  # an abandoned turn may still count its last call
            }

        self._end(status, terminal)

    def fail(self, error: AppError, status: str) -> None:
        error_answered(error.code)  # a terminal `error` event is an error answer too
        self._end(status, lambda: ("error", error.event_data()), error.code)

    def _end(self, status: str, terminal: Callable[[], tuple[str, dict]], error_code=None) -> None:
        """Save the final row, then append the terminal event; only the first call does."""
        with self._lock:
            if self.ended:
                return
            self.ended = True
        try:
            self.writer.finish(status, self.state, error_code)
        except Exception:  # the terminal event still goes out
            log.exception("could not save the final state of message %s", self.log.message_id)
        self.log.append(*terminal())
        self.app.extensions["generations"].finished(self.log)
        self.app.extensions["ticker"].forget(self)


def start_generation(
    app: Flask, generation_log: GenerationLog, identity: Identity, first_turn: bool = False
) -> None:
    """Run the generation's turn in a greenlet of its own (a thread outside gevent), and,
    on the conversation's first turn with MODEL_TITLES, its title call in another (no
    later turn costs a greenlet or a store read for it)."""
    generation = Generation(app, generation_log, identity)
    generation_log.on_stop = generation.stop
    app.extensions["ticker"].watch(generation)
    spawn(generation.run_turn, current_request_id(), name=f"generation-{generation_log.id}")
    if first_turn and app.config["MODEL_TITLES"]:
        name = f"generation-{generation_log.id}-title"
        spawn(generation.title_conversation, current_request_id(), name=name)
