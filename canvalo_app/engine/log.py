"""Generation logs: every event a generation emitted, readable by any number of clients.

Without Redis a log lives in the worker's memory (one gevent worker serves all streams, see
gunicorn.conf.py); with it, engine/shared.py keeps it in Redis for every worker. The registry
here holds the running and recently finished logs, enforces one running generation per
conversation and one generation per `client_message_id`: copies of a send re-attach to the
generation the first copy started. Its cost per send does not grow
with the number of earlier chats: finished logs are forgotten in the order they finished.
Under the gevent worker, `threading` is patched: the locks and events here are greenlet
primitives.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import AppError
from ..sse import ServerSentEvent


@dataclass(eq=False)
class GenerationLog:
    """The events of one generation. One writer at a time appends (the generation's runner
    makes sure of it); readers wait for the next event without taking a lock.

    An appended event is handed to `sink` (the Redis engine writes it to the shared log
    first, then publishes it here); without one it is published at once.
    """

    id: str
    user_id: str
    conversation_id: str
    user_message_id: str
    message_id: str
    client_message_id: str | None = None
    events: list[ServerSentEvent] = field(default_factory=list)
    finished_at: float | None = None
    stop_reason: str | None = None  # "user" (the stop endpoint), "shutdown" or "engine"
    #: Set by the runner: ends the generation now, for `request_stop`.
    on_stop: Callable[[str], None] | None = None
    sink: Callable[[GenerationLog, ServerSentEvent], None] | None = None
    _appended: int = 0  # ids handed out; ahead of `events` while the sink writes them
    _ended: bool = False  # a terminal event was appended
    _changed: threading.Event = field(default_factory=threading.Event)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def last_id(self) -> int:
        return len(self.events)

    def append(self, type_: str, data: dict) -> ServerSentEvent:
        """Add an event; a terminal event finishes the log and nothing may follow it."""
        if self._ended:
            raise RuntimeError(f"generation {self.id} already ended")
        self._appended += 1
        event = ServerSentEvent(self._appended, type_, data)
        self._ended = event.terminal
        sink = self.sink
        if sink is None:
            self.publish(event)
        else:
            sink(self, event)
        return event

    def publish(self, event: ServerSentEvent) -> None:
        """Make an appended event visible to readers, in order."""
        self.events.append(event)
        if event.terminal:
            self.finished_at = time.monotonic()
        # Wake the readers: the event they hold is set, later readers get a fresh one.
        changed, self._changed = self._changed, threading.Event()
        changed.set()

    def wait(self, after: int, timeout: float) -> tuple[list[ServerSentEvent], bool]:
        """Events after id `after`, waiting up to `timeout` seconds for one to arrive; and
        whether they end the log (nothing will follow them)."""
        changed = self._changed  # taken first: an append after this point sets it
        if len(self.events) <= after and self.finished_at is None and timeout > 0:
            changed.wait(timeout)
        return self.events[after:], self.finished_at is not None

    def request_stop(self, reason: str = "user") -> None:
        """End the generation now (the runner saves its row and appends the terminal event)."""
        self.stop_reason = self.stop_reason or reason
        if self.on_stop is not None:
            self.on_stop(self.stop_reason)

    def wait_finished(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed
            if self.finished_at is not None:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            changed.wait(remaining)


class GenerationRegistry:
    """The worker's generation logs, by id, by running conversation and by client message.

    The in-memory engine; engine/shared.py's `SharedRegistry` is the same interface on
    Redis, for several workers and instances."""

    backend = "memory"

    def __init__(self, retention_seconds: float):
        self.retention_seconds = retention_seconds
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)  # a generation was added or a claim ended
        self._logs: dict[str, GenerationLog] = {}
        self._running: dict[str, str] = {}  # conversation id -> generation id
        self._reserved: set[str] = set()  # conversations whose send is being prepared
        self._by_client_id: dict[tuple[str, str], str] = {}
        self._claimed: set[tuple[str, str]] = set()  # client messages whose send is prepared
        self._ended: deque[tuple[float, GenerationLog]] = deque()  # in the order they ended

    def claim(self, user_id: str, client_message_id: str, timeout: float) -> GenerationLog | None:
        """Claim a client message for this send, or return the generation it already has.

        Call before anything is written for the send. A copy of the same send (a client
        retrying before its first request was answered) that is still being prepared is
        waited for, up to `timeout` seconds: its generation is returned once added, or, if
        that send failed and gave its claim back, this one claims the message instead. Still
        being prepared after `timeout`: 409, retryable.
        """
        key = (user_id, client_message_id)
        deadline = time.monotonic() + timeout
        with self._added:
            while True:
                attached = self._logs.get(self._by_client_id.get(key, ""))
                if attached is not None:
                    return attached
                if key not in self._claimed:
                    self._claimed.add(key)
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AppError("CONVERSATION_BUSY")
                self._added.wait(remaining)

    def unclaim(self, user_id: str, client_message_id: str) -> None:
        """Give back the claim of a send that failed; a waiting copy may then go ahead."""
        with self._added:
            self._claimed.discard((user_id, client_message_id))
            self._added.notify_all()

    def reserve(self, conversation_id: str) -> None:
        """Claim the conversation for a new generation, or 409 if one is running.

        A generation whose terminal event is out no longer holds its conversation, even if
        its greenlet has not yet returned: a client that has read `complete` may send again.
        """
        with self._lock:
            self._prune()
            running = self._logs.get(self._running.get(conversation_id, ""))
            if running is not None and running.finished:
                del self._running[conversation_id]
                running = None
            if running is not None or conversation_id in self._reserved:
                raise AppError("CONVERSATION_BUSY")
            self._reserved.add(conversation_id)

    def release(self, conversation_id: str) -> None:
        with self._lock:
            self._reserved.discard(conversation_id)

    def add(self, log: GenerationLog) -> None:
        """Register a started generation; it takes over its send's claims."""
        with self._added:
            self._reserved.discard(log.conversation_id)
            self._logs[log.id] = log
            self._running[log.conversation_id] = log.id
            if log.client_message_id:
                key = (log.user_id, log.client_message_id)
                self._by_client_id[key] = log.id
                self._claimed.discard(key)
                self._added.notify_all()

    def finished(self, log: GenerationLog) -> None:
        """The generation has ended: free its conversation; it is kept for the retention."""
        with self._lock:
            if self._running.get(log.conversation_id) == log.id:
                del self._running[log.conversation_id]
            self._ended.append((time.monotonic(), log))

    def get(self, generation_id: str, user_id: str) -> GenerationLog | None:
        """The user's generation; another user's is as unknown as a missing one."""
        log = self._logs.get(generation_id)
        return log if log is not None and log.user_id == user_id else None

    def of_conversation(self, conversation_id: str, user_id: str) -> GenerationLog | None:
        """The user's generation running in the conversation, or None."""
        with self._lock:
            log = self._logs.get(self._running.get(conversation_id, ""))
        running = log is not None and not log.finished
        return log if running and log.user_id == user_id else None

    def running(self) -> list[GenerationLog]:
        with self._lock:
            logs = (self._logs[g] for g in self._running.values())
            return [log for log in logs if not log.finished]

    def _prune(self) -> None:
        """Forget the logs that ended more than the retention ago, oldest first."""
        cutoff = time.monotonic() - self.retention_seconds
        while self._ended and self._ended[0][0] < cutoff:
            _, log = self._ended.popleft()
            if self._logs.get(log.id) is log:
                del self._logs[log.id]
            if log.client_message_id:
                key = (log.user_id, log.client_message_id)
                if self._by_client_id.get(key) == log.id:
                    del self._by_client_id[key]

    def healthy(self) -> bool:
        return True

    def start(self) -> None:
        """Nothing runs in the background."""

    def close(self) -> None:
        """Nothing to release: the logs live and die with the worker."""
