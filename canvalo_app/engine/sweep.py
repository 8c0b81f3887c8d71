"""Mark assistant messages abandoned by a killed worker as `interrupted`.

A live generation flushes its row at least every `CONTENT_FLUSH_SECONDS` and ends within
`TURN_DEADLINE_SECONDS`, so a row still `streaming` and untouched for longer than the deadline
(plus a margin) belongs to no running generation, in this worker or any other.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import Flask

log = logging.getLogger(__name__)
MARGIN_SECONDS = 30.0


def sweep_abandoned(app: Flask, stale_seconds: float | None = None) -> int:
    if stale_seconds is None:
        stale_seconds = app.config["TURN_DEADLINE_SECONDS"] + MARGIN_SECONDS
    cutoff = (datetime.now(UTC) - timedelta(seconds=stale_seconds)).isoformat(
        timespec="microseconds"
    )
    count = app.extensions["store"].sweep_streaming(cutoff)
    if count:
        log.info("sweep marked %d abandoned message(s) interrupted", count)
    return count
