"""Resume tickets: a short-lived, signed permission to read one generation's events.

A browser's `EventSource` cannot send an Authorization header, so the `start` event carries
a `resume_url` whose `?ticket=` opens that generation's events endpoint, and nothing else,
for `TICKET_SECONDS`. A ticket is `<payload>.<signature>`: the generation, its user and the
expiry, signed with HMAC-SHA256 under a key derived from the server's secret, so any worker
of any instance that shares the secret accepts it. Access logs never show query strings
(gunicorn.conf.py), so a ticket never reaches a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TICKET_SECONDS = 600
_PURPOSE = b"canvalo resume ticket v1"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret: str, generation_id: str, user_id: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + TICKET_SECONDS)
    payload = f"{generation_id}:{user_id}:{expires}".encode()
    signature = hmac.new(_key(secret), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def user_of(secret: str, ticket: str, generation_id: str, now: float | None = None) -> str | None:
    """The user a valid, unexpired ticket for `generation_id` was issued to; None otherwise."""
    try:
        encoded, signature = ticket.split(".")
        payload = _unb64(encoded)
        expected = hmac.new(_key(secret), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        ticket_generation, user_id, expires = payload.decode().split(":")
        if ticket_generation != generation_id or int(expires) < (now or time.time()):
            return None
    except (ValueError, UnicodeDecodeError):
        return None
    return user_id


def secret_of(config: dict) -> str | None:
    """The secret tickets are signed with: RESUME_TICKET_SECRET, else the Supabase secret key
    (required in production), else the development token secret."""
    return (
        config.get("RESUME_TICKET_SECRET")
        or config.get("SUPABASE_SECRET_KEY")
        or config.get("DEV_JWT_SECRET")
    )


def resume_url(config: dict, generation_id: str, user_id: str) -> str | None:
    """The events URL of a generation that opens with no header, for TICKET_SECONDS."""
    secret = secret_of(config)
    if not secret:
        return None
    ticket = issue(secret, generation_id, user_id)
    return f"/api/chat/generations/{generation_id}/events?ticket={ticket}"
