"""Token verification and the decorator that puts the verified user on the request.

The caller's identity comes only from a verified JWT's `sub`. Tokens are checked locally:
Supabase's asymmetric keys via its JWKS (cached), the legacy HS256 secret only when
`SUPABASE_JWT_SECRET` is set, and `DEV_JWT_SECRET` outside production.
"""

from __future__ import annotations

import time
import uuid
from functools import wraps

import jwt
from flask import Flask, current_app, g, request

from . import tickets
from .errors import AppError
from .store.base import Identity

ASYMMETRIC_ALGORITHMS = {"RS256", "ES256", "EdDSA"}
#: A token that claims to stay valid longer than this is refused (an `exp` of 1e308 is not a
#: session; Supabase's access tokens live an hour).
MAX_TOKEN_LIFETIME_SECONDS = 365 * 24 * 3600


class TokenVerifier:
    """Verifies bearer tokens against the configured keys; holds the JWKS cache."""

    def __init__(self, config: dict):
        self.audience = config["JWT_AUDIENCE"]
        self.leeway = min(config["JWT_LEEWAY_SECONDS"], 30)
        self.hs256_secrets = [
            s for s in (config.get("SUPABASE_JWT_SECRET"), config.get("DEV_JWT_SECRET")) if s
        ]
        jwks_url = config.get("JWKS_URL") or (
            f"{config['SUPABASE_URL'].rstrip('/')}/auth/v1/.well-known/jwks.json"
            if config.get("SUPABASE_URL")
            else None
        )
        self.jwks = (
            jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=600, timeout=5)
            if jwks_url
            else None
        )

    def verify(self, token: str) -> dict:
        """Return the token's claims, or raise an `AppError` naming what is wrong."""
        if token.startswith(("sb_publishable_", "sb_secret_")):
            raise AppError("TOKEN_ROLE_NOT_ALLOWED")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AppError("TOKEN_INVALID") from exc
        algorithm = header.get("alg")
        if not isinstance(algorithm, str):
            raise AppError("TOKEN_INVALID")
        if algorithm == "HS256" and self.hs256_secrets:
            claims = self._decode_hs256(token)
        elif algorithm in ASYMMETRIC_ALGORITHMS and self.jwks:
            claims = self._decode_jwks(token)
        else:
            raise AppError("TOKEN_ALGORITHM_NOT_ALLOWED")
        return self._check_claims(claims)

    def _decode(self, token: str, key, algorithms: list[str]) -> dict:
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            leeway=self.leeway,
            options={"require": ["exp"], "verify_aud": False},
        )

    def _decode_hs256(self, token: str) -> dict:
        for secret in self.hs256_secrets:
            try:
                return self._decode(token, secret, ["HS256"])
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError as exc:
                raise AppError("TOKEN_EXPIRED") from exc
            except jwt.InvalidTokenError as exc:
                raise AppError("TOKEN_INVALID") from exc
        raise AppError("TOKEN_SIGNATURE_INVALID")

    def _decode_jwks(self, token: str) -> dict:
        try:
            signing_key = self.jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise AppError("AUTH_UNAVAILABLE") from exc
        except jwt.PyJWKClientError as exc:
            raise AppError("TOKEN_SIGNATURE_INVALID") from exc
        algorithm = signing_key.algorithm_name  # taken from the key, never from the token
        try:
            return self._decode(token, signing_key.key, [algorithm])
        except jwt.ExpiredSignatureError as exc:
            raise AppError("TOKEN_EXPIRED") from exc
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as exc:
            raise AppError("TOKEN_SIGNATURE_INVALID") from exc
        except jwt.InvalidTokenError as exc:
            raise AppError("TOKEN_INVALID") from exc

    def _check_claims(self, claims: dict) -> dict:
        if claims.get("role") != "authenticated":
            raise AppError("TOKEN_ROLE_NOT_ALLOWED")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise AppError("TOKEN_AUDIENCE_INVALID")
        if not _canonical_uuid(claims.get("sub")):
            raise AppError("TOKEN_INVALID")
        expires = claims["exp"]  # PyJWT also takes "123" (it checks int(exp)): a number only
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise AppError("TOKEN_INVALID")
        if expires > time.time() + MAX_TOKEN_LIFETIME_SECONDS:
            raise AppError("TOKEN_INVALID")
        return claims


def _canonical_uuid(value) -> bool:
    """Whether `value` is a UUID spelled the one way the store keys users: lower case, dashed.

    `uuid.UUID` also reads upper case, braces and no dashes; each of those spellings would be
    another user id to the store, so a `sub` must already be canonical.
    """
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


#: The user `flask seed-demo` fills and `flask dev-token` (and the /demo page) sign in as.
DEMO_USER = "00000000-0000-4000-8000-000000000001"


def mint_dev_token(
    secret: str, user_id: str, ttl_seconds: int = 24 * 3600, audience: str = "authenticated"
) -> str:
    """An HS256 token shaped like a Supabase access token, for development and tests."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "aud": audience,
        "role": "authenticated",
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": "canvalo-dev",
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer_token() -> str:
    """The token of the request's `Authorization: Bearer <token>` header ("" if none)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def require_auth(view):
    """Verify the bearer token and put the caller's `Identity` on `g.identity`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = bearer_token()
        if not token:
            raise AppError("AUTH_REQUIRED")
        claims = current_app.extensions["auth"].verify(token)
        g.identity = Identity(user_id=claims["sub"], token=token)
        return view(*args, **kwargs)

    return wrapper


def require_auth_or_ticket(view):
    """Like `require_auth`, or, without an Authorization header, a resume ticket in
    `?ticket=` for the generation in the URL (canvalo_app/tickets.py). A ticket carries no
    token: the view may read that generation's events and nothing of the store."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        ticket = request.args.get("ticket")
        if "Authorization" in request.headers or ticket is None:
            return require_auth(view)(*args, **kwargs)
        secret = tickets.secret_of(current_app.config)
        user_id = secret and tickets.user_of(secret, ticket, str(kwargs["generation_id"]))
        if not user_id:
            raise AppError("TICKET_INVALID")
        g.identity = Identity(user_id=user_id, token="")
        return view(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> None:
    app.extensions["auth"] = TokenVerifier(app.config)
