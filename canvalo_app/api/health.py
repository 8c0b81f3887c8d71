"""Service identity, liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..errors import AppError
from ..extensions import rate_limiter, store
from ..openapi import openapi_document
from ..version import __version__

bp = Blueprint("health", __name__)


@bp.get("/")
def index():
    """Service name, version and environment."""
    return {
        "service": "canvalo-chat",
        "version": __version__,
        "environment": current_app.config["ENV_NAME"],
    }


@bp.get("/health")
def health():
    """Liveness: answers without calling any dependency."""
    return {"status": "ok"}


@bp.get("/health/ready")
def ready():
    """Readiness: the store, the generation state and the rate-limit storage answer, a model
    is configured; 503 names what is not."""
    checks = {
        "store": _check_store(),
        "generations": _check_generations(),
        "model": _check_model(),
        "rate_limits": _check_limits(),
    }
    if not all(check["ok"] for check in checks.values()):
        raise AppError("SERVICE_NOT_READY", details={"checks": checks})
    return {"status": "ready", "checks": checks}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document for every route."""
    return jsonify(openapi_document(current_app))


def _check_store() -> dict:
    try:
        store().ping()
    except AppError as error:
        return {"ok": False, "backend": store().name, "error": error.code}
    return {"ok": True, "backend": store().name}


def _check_model() -> dict:
    model = current_app.extensions.get("model")
    if model is None:
        return {"ok": False, "error": "MODEL_NOT_CONFIGURED"}
    return {"ok": True, **model.describe()}


def _check_limits() -> dict:
    limiter = rate_limiter()
    if not limiter.healthy():
        return {"ok": False, "backend": limiter.backend, "error": "REDIS_UNAVAILABLE"}
    return {"ok": True, "backend": limiter.backend}


def _check_generations() -> dict:
    registry = current_app.extensions["generations"]
    if not registry.healthy():
        return {"ok": False, "backend": registry.backend, "error": "REDIS_UNAVAILABLE"}
    return {"ok": True, "backend": registry.backend}
