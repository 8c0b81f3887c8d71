"""Short-lived signed values: `<payload>.<signature>`, HMAC-SHA256 under a key derived from
the server's secret for one purpose, so a value signed for one use (a resume ticket) is
never accepted for another (an account deletion). Any worker of any instance that shares
the secret accepts what another signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _key(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret_of(config: dict) -> str | None:
    """The secret values are signed with: RESUME_TICKET_SECRET, else the Supabase secret key
    (required in production), else the development token secret."""
    return (
        config.get("RESUME_TICKET_SECRET")
        or config.get("SUPABASE_SECRET_KEY")
        or config.get("DEV_JWT_SECRET")
    )


def sign(secret: str, purpose: bytes, fields: list[str]) -> str:
    """`fields` (none holding a ':') signed for `purpose`."""
    payload = ":".join(fields).encode()
    signature = hmac.new(_key(secret, purpose), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def verified_fields(secret: str, purpose: bytes, signed: str) -> list[str] | None:
    """The fields of a value signed for `purpose` with `secret`; None if it was not."""
    try:
        encoded, signature = signed.split(".")
        payload = _unb64(encoded)
        expected = hmac.new(_key(secret, purpose), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        return payload.decode().split(":")
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        return None
