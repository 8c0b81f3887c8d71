"""`GET /metrics`: the service's Prometheus metrics, for a scraper holding METRICS_TOKEN.

Without METRICS_TOKEN the route does not exist (404, like any unknown path); with it, a
request without that exact bearer token is a 401.
"""

from __future__ import annotations

import hmac
from functools import wraps

from flask import Blueprint, Flask, Response, current_app, request

from ..auth import bearer_token
from ..errors import AppError

bp = Blueprint("metrics", __name__)


def require_metrics_token(view):
    """Let through only `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        expected = current_app.config["METRICS_TOKEN"].encode()
        if not hmac.compare_digest(bearer_token().encode(), expected):
            raise AppError("METRICS_TOKEN_INVALID", headers={"WWW-Authenticate": "Bearer"})
        return view(*args, **kwargs)

    wrapper.openapi = {**getattr(view, "openapi", {}), "security": "metricsToken"}
    return wrapper


def text_answer(media_type: str):
    """Record for the OpenAPI document that the view answers text of `media_type`."""

    def decorator(view):
        view.openapi = {**getattr(view, "openapi", {}), "media_type": media_type}
        return view

    return decorator


@bp.get("/metrics")
@require_metrics_token
@text_answer("text/plain")
def metrics():
    """Prometheus metrics, in the text format (or OpenMetrics when the scraper asks for it).
    Summed over every worker of the instance, whichever worker answers. Requires
    `Authorization: Bearer <METRICS_TOKEN>`; absent (404) when METRICS_TOKEN is unset."""
    body, content_type = current_app.extensions["metrics"].render(request.headers.get("Accept"))
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    """Serve /metrics only when a METRICS_TOKEN is configured."""
    if app.config["METRICS_TOKEN"]:
        app.register_blueprint(bp)
