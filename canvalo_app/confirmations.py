"""Confirmation tokens for deleting all of a user's data: step one of two.

`POST /api/account/deletion` issues one; `DELETE /api/account/data` acts only with it. A
token is the user, whether business records go too, the instant it was issued (to the
microsecond) and a random nonce, signed (canvalo_app/signing.py) for this purpose only: it
cannot be forged or altered (a token minted without business records can never delete
them), nor used by another user or `CONFIRMATION_SECONDS` after it was issued. It is not
recorded anywhere, so it is not single-use as such; it is harmless to use again instead: it
deletes only what was created at or before its issue, so a second use finds nothing new.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from .errors import AppError
from .signing import secret_of, sign, verified_fields

CONFIRMATION_SECONDS = 300
_PURPOSE = b"canvalo account deletion v2"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECONDS = 1_000_000


class Confirmation(NamedTuple):
    token: str
    expires_at: str  #: ISO 8601, UTC


class Grant(NamedTuple):
    """What a valid token allows."""

    include_business: bool
    #: The token's issue, ISO 8601 in UTC as rows store `created_at`: only rows created at
    #: or before it are deleted.
    issued_at: str


def _secret(config: dict) -> str:
    secret = secret_of(config)
    if not secret:  # production refuses to start without one; a test app may lack it
        raise AppError("SERVICE_NOT_READY", details={"checks": {"signing_secret": "missing"}})
    return secret


def _instant(microseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=microseconds)


def issue(config: dict, user_id: str, include_business: bool, now: float | None = None):
    """A token that lets `user_id` delete their data (business records only if asked)."""
    issued = int((now or time.time()) * _MICROSECONDS)
    fields = [user_id, "business" if include_business else "chat", str(issued)]
    token = sign(_secret(config), _PURPOSE, [*fields, secrets.token_urlsafe(12)])
    expires = _instant(issued) + timedelta(seconds=CONFIRMATION_SECONDS)
    return Confirmation(token, expires.isoformat())


def accepted(config: dict, token: str, user_id: str, now: float | None = None) -> Grant:
    """What the valid token of `user_id` allows; 404 CONFIRMATION_INVALID for a token
    forged, altered, expired or issued to someone else."""
    fields = verified_fields(_secret(config), _PURPOSE, token)
    try:
        owner, scope, issued, _nonce = fields or ()
        expires = int(issued) + CONFIRMATION_SECONDS * _MICROSECONDS
        valid = owner == user_id and expires >= (now or time.time()) * _MICROSECONDS
    except ValueError:
        valid = False
    if not valid:
        raise AppError("CONFIRMATION_INVALID")
    issued_at = _instant(int(issued)).isoformat(timespec="microseconds")
    return Grant(scope == "business", issued_at)
