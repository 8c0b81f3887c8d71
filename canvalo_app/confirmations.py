"""Confirmation tokens for deleting all of a user's data: step one of two.

`POST /api/account/deletion` issues one; `DELETE /api/account/data` acts only with it. A
token is the user, whether business records go too, an expiry `CONFIRMATION_SECONDS` away
and a random nonce, signed (canvalo_app/signing.py) for this purpose only: it cannot be
forged or altered (a token minted without business records can never delete them), nor
used by another user or after it expires. It is not recorded anywhere, so it is not
single-use as such; a second deletion with it finds nothing left to delete.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import NamedTuple

from .errors import AppError
from .signing import secret_of, sign, verified_fields

CONFIRMATION_SECONDS = 300
_PURPOSE = b"canvalo account deletion v1"


class Confirmation(NamedTuple):
    token: str
    expires_at: str  #: ISO 8601, UTC


def _secret(config: dict) -> str:
    secret = secret_of(config)
    if not secret:  # production refuses to start without one; a test app may lack it
        raise AppError("SERVICE_NOT_READY", details={"checks": {"signing_secret": "missing"}})
    return secret


def issue(config: dict, user_id: str, include_business: bool, now: float | None = None):
    """A token that lets `user_id` delete their data (business records only if asked)."""
    expires = int((now or time.time()) + CONFIRMATION_SECONDS)
    fields = [user_id, "business" if include_business else "chat", str(expires)]
    token = sign(_secret(config), _PURPOSE, [*fields, secrets.token_urlsafe(12)])
    return Confirmation(token, datetime.fromtimestamp(expires, UTC).isoformat())


def include_business(config: dict, token: str, user_id: str, now: float | None = None) -> bool:
    """Whether the valid token of `user_id` covers business records; 404
    CONFIRMATION_INVALID for a token forged, altered, expired or issued to someone else."""
    fields = verified_fields(_secret(config), _PURPOSE, token)
    try:
        owner, scope, expires, _nonce = fields or ()
        valid = owner == user_id and int(expires) >= (now or time.time())
    except ValueError:
        valid = False
    if not valid:
        raise AppError("CONFIRMATION_INVALID")
    return scope == "business"
