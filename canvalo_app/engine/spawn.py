"""Background work: a bare greenlet in the served app (gevent), a daemon thread elsewhere.

Under the gevent worker `threading.Thread` is a greenlet too, but one wrapped in a thread's
bookkeeping (its own locks, events and start-up frames): a bare greenlet costs about a
quarter of the time to start and keeps a shallower stack while it waits. The development
server and the tests run without gevent's patches, on real threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import gevent
from gevent import monkey


def spawn(target: Callable[..., None], *args, name: str) -> None:
    if monkey.is_module_patched("threading"):
        gevent.spawn(target, *args)
    else:
        threading.Thread(target=target, args=args, name=name, daemon=True).start()
