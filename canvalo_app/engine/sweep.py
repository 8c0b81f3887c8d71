"""Maintenance: finish assistant messages that their own generation could not.

`sweep_abandoned` marks rows left by a killed worker as `interrupted`. A live generation
flushes its row at least every `CONTENT_FLUSH_SECONDS` and ends within
`TURN_DEADLINE_SECONDS`, so a row still `streaming` and untouched for longer than the deadline
(plus a margin) belongs to no running generation, in this worker or any other.

`close_for_lapsed_session` saves the final state of a generation whose user's token expired
during the turn: the user's own session can no longer write the row, so the maintenance
credentials write that one row, found by its id and its owner, and only while `streaming`.
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


def close_for_lapsed_session(app: Flask, user_id: str, message_id: str, fields: dict) -> bool:
    """Write the final `fields` of the user's `streaming` message; False if it could not."""
    store = app.extensions["store"].maintenance_for(user_id)
    if store is None:
        log.warning("no maintenance credentials: message %s stays streaming", message_id)
        return False
    closed = store.update_message(message_id, if_streaming=True, **fields)
    log.info("session lapsed during the turn; message %s closed by maintenance", message_id)
    return closed is not None
