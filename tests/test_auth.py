"""Token verification: every way a bearer token can be wrong gets 401 and its own code."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import DEV_SECRET, USER_A

NOW = lambda: int(time.time())  # noqa: E731


def claims(**overrides) -> dict:
    base = {
        "sub": USER_A,
        "aud": "authenticated",
        "role": "authenticated",
        "iat": NOW(),
        "exp": NOW() + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(secret=DEV_SECRET, **overrides) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def unsigned(**overrides) -> str:
    return jwt.encode(claims(**overrides), None, algorithm="none")


def call(client, token):
    return client.get("/api/conversations", headers={"Authorization": f"Bearer {token}"})


def test_valid_dev_token(client):
    assert call(client, hs256()).status_code == 200


@pytest.mark.parametrize(
    "token, code",
    [
        (unsigned(), "TOKEN_ALGORITHM_NOT_ALLOWED"),
        (hs256(secret="another-secret-that-is-long-enough-000"), "TOKEN_SIGNATURE_INVALID"),
        (hs256(exp=NOW() - 120), "TOKEN_EXPIRED"),
        (hs256(aud="somebody-else"), "TOKEN_AUDIENCE_INVALID"),
        (hs256(aud=None), "TOKEN_AUDIENCE_INVALID"),
        (hs256(role="anon", sub=None, aud=None), "TOKEN_ROLE_NOT_ALLOWED"),
        (hs256(role="service_role", sub=None, aud=None), "TOKEN_ROLE_NOT_ALLOWED"),
        (hs256(exp=None), "TOKEN_INVALID"),
        (hs256(sub=None), "TOKEN_INVALID"),
        (hs256(sub="not-a-uuid"), "TOKEN_INVALID"),
        # The user's own UUID in another spelling would be another user to the store.
        (hs256(sub=USER_A.upper()), "TOKEN_INVALID"),
        (hs256(sub="{" + USER_A + "}"), "TOKEN_INVALID"),
        (hs256(sub=USER_A.replace("-", "")), "TOKEN_INVALID"),
        (hs256(sub="urn:uuid:" + USER_A), "TOKEN_INVALID"),
        (hs256(sub=123), "TOKEN_INVALID"),
        # A token that never expires is not a session.
        (hs256(exp=1e308), "TOKEN_INVALID"),
        (hs256(exp=NOW() + 400 * 24 * 3600), "TOKEN_INVALID"),
        (hs256(exp=str(NOW() + 600)), "TOKEN_INVALID"),
        ("sb_publishable_abc123", "TOKEN_ROLE_NOT_ALLOWED"),
        ("sb_secret_abc123", "TOKEN_ROLE_NOT_ALLOWED"),
        ("definitely.not.ajwt", "TOKEN_INVALID"),
        ("eyJhbGciOlsiSFMyNTYiXX0.e30.sig", "TOKEN_INVALID"),  # {"alg": ["HS256"]}
        ("eyJhbGciOm51bGx9.e30.sig", "TOKEN_INVALID"),  # {"alg": null}
    ],
)
def test_rejected_tokens(client, token, code):
    response = call(client, token)
    assert response.status_code == 401
    assert response.json["error"]["code"] == code
    assert token not in response.get_data(as_text=True)


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc"])
def test_missing_or_wrong_scheme(client, header):
    response = client.get("/api/conversations", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "AUTH_REQUIRED"


def test_a_long_but_bounded_lifetime_is_accepted(client):
    assert call(client, hs256(exp=NOW() + 300 * 24 * 3600)).status_code == 200


def test_leeway_is_small(client):
    assert call(client, hs256(exp=NOW() - 5)).status_code == 200
    assert call(client, hs256(exp=NOW() - 45)).json["error"]["code"] == "TOKEN_EXPIRED"


def test_legacy_supabase_secret_only_when_configured(make_app):
    legacy = "legacy-supabase-jwt-secret-0123456789abcd"
    without = make_app().test_client()
    assert call(without, hs256(secret=legacy)).json["error"]["code"] == "TOKEN_SIGNATURE_INVALID"
    with_secret = make_app(SUPABASE_JWT_SECRET=legacy).test_client()
    assert call(with_secret, hs256(secret=legacy)).status_code == 200


def test_hs256_refused_when_no_secret_is_configured(make_app):
    client = make_app(DEV_JWT_SECRET=None).test_client()
    response = call(client, hs256())
    assert response.json["error"]["code"] == "TOKEN_ALGORITHM_NOT_ALLOWED"


class JWKSServer:
    """Stands in for Supabase Auth's JWKS endpoint (the network edge)."""

    def __init__(self, jwks: dict):
        body = json.dumps(jwks).encode()
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits += 1
                ok = self.path == "/auth/v1/.well-known/jwks.json"
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body if ok else b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def signing_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwks_server(signing_key):
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(signing_key.public_key()))
    server = JWKSServer({"keys": [{**jwk, "kid": "key-1", "alg": "ES256", "use": "sig"}]})
    yield server
    server.close()


def es256(key, kid="key-1", **overrides) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="ES256", headers={"kid": kid})


def test_jwks_token_verified_and_keys_cached(make_app, jwks_server, signing_key):
    client = make_app(SUPABASE_URL=jwks_server.url).test_client()
    assert call(client, es256(signing_key)).status_code == 200
    assert call(client, es256(signing_key)).status_code == 200
    assert jwks_server.hits == 1


def test_jwks_rejects_other_keys_and_claims(make_app, jwks_server, signing_key):
    client = make_app(SUPABASE_URL=jwks_server.url).test_client()
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert call(client, es256(stranger)).json["error"]["code"] == "TOKEN_SIGNATURE_INVALID"
    assert call(client, es256(signing_key, kid="unknown")).json["error"]["code"] == (
        "TOKEN_SIGNATURE_INVALID"
    )
    assert call(client, es256(signing_key, exp=NOW() - 100)).json["error"]["code"] == (
        "TOKEN_EXPIRED"
    )
    assert call(client, es256(signing_key, role="anon")).json["error"]["code"] == (
        "TOKEN_ROLE_NOT_ALLOWED"
    )


def test_jwks_unreachable_is_503_not_401(make_app):
    client = make_app(SUPABASE_URL="http://127.0.0.1:9").test_client()
    key = ec.generate_private_key(ec.SECP256R1())
    response = call(client, es256(key))
    assert response.status_code == 503
    assert response.json["error"]["code"] == "AUTH_UNAVAILABLE"


def test_dev_token_command_prints_only_a_valid_token(app, runner):
    result = runner.invoke(args=["dev-token", "--user", USER_A])
    assert result.exit_code == 0
    token = result.output.strip()
    assert "\n" not in token
    assert call(app.test_client(), token).status_code == 200
