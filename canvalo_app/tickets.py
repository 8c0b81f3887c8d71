"""Resume tickets: a short-lived, signed permission to read one generation's events.

A browser's `EventSource` cannot send an Authorization header, so the `start` event carries
a `resume_url` whose `?ticket=` opens that generation's events endpoint, and nothing else,
for `TICKET_SECONDS`. A ticket is the generation, its user and the expiry, signed
(canvalo_app/signing.py) under a key derived from the server's secret, so any worker of any
instance that shares the secret accepts it. Access logs never show query strings
(gunicorn.conf.py), so a ticket never reaches a log line.
"""

from __future__ import annotations

import time

from .signing import secret_of, sign, verified_fields

TICKET_SECONDS = 600
_PURPOSE = b"canvalo resume ticket v1"


def issue(secret: str, generation_id: str, user_id: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + TICKET_SECONDS)
    return sign(secret, _PURPOSE, [generation_id, user_id, str(expires)])


def user_of(secret: str, ticket: str, generation_id: str, now: float | None = None) -> str | None:
    """The user a valid, unexpired ticket for `generation_id` was issued to; None otherwise."""
    fields = verified_fields(secret, _PURPOSE, ticket)
    try:
        ticket_generation, user_id, expires = fields or ()
        if ticket_generation != generation_id or int(expires) < (now or time.time()):
            return None
    except ValueError:
        return None
    return user_id


def resume_url(config: dict, generation_id: str, user_id: str) -> str | None:
    """The events URL of a generation that opens with no header, for TICKET_SECONDS."""
    secret = secret_of(config)
    if not secret:
        return None
    ticket = issue(secret, generation_id, user_id)
    return f"/api/chat/generations/{generation_id}/events?ticket={ticket}"
