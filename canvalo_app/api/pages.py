"""Pages for people: the API reference at /docs and, with dev tokens on, a demo chat at /demo.

Both are static files (canvalo_app/web/) and scripts served from this service; the API
reference's Swagger UI comes from the swagger-ui-bundle package, never from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from ..auth import DEMO_USER, mint_dev_token
from ..errors import AppError

bp = Blueprint("pages", __name__)
WEB = Path(__file__).parent.parent / "web"
#: The files of each page; the demo's only while dev tokens are on.
DOCS_FILES = frozenset({"docs.js"})
DEMO_FILES = frozenset({"demo.js", "demo.css"})
#: The Swagger UI files the reference page loads.
SWAGGER_FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
#: Scripts and styles of this origin only; Swagger UI sets inline styles.
POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DEMO_TOKEN_SECONDS = 8 * 3600


def _page(name: str):
    response = send_from_directory(WEB, name, max_age=0)
    response.headers["Content-Security-Policy"] = POLICY
    return response


@bp.get("/docs")
def docs():
    """The API reference, rendered from /openapi.json."""
    return _page("docs.html")


@bp.get("/pages/<name>")
def page_file(name: str):
    if name in DEMO_FILES:
        _dev_tokens()
    elif name not in DOCS_FILES:
        abort(404)
    return send_from_directory(WEB, name, max_age=0)


@bp.get("/docs/assets/<name>")
def asset(name: str):
    if name not in SWAGGER_FILES:
        abort(404)
    return send_from_directory(swagger_ui_path, name, max_age=24 * 3600)


def _dev_tokens() -> str:
    """The dev token secret; the demo is not there at all without it (never in production)."""
    secret = current_app.config.get("DEV_JWT_SECRET")
    if not secret:
        raise AppError("NOT_FOUND")
    return secret


@bp.get("/demo")
def demo():
    """A demo chat page (development only)."""
    _dev_tokens()
    return _page("demo.html")


@bp.post("/demo/token")
def demo_token():
    """A dev token for the demo user (development only)."""
    token = mint_dev_token(_dev_tokens(), DEMO_USER, ttl_seconds=DEMO_TOKEN_SECONDS)
    return {"token": token, "user_id": DEMO_USER, "expires_in": DEMO_TOKEN_SECONDS}
