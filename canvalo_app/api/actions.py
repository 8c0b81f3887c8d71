"""Destructive tool actions waiting for the user's confirmation.

Only these endpoints execute a delete, cancel or send: the model cannot, and nothing typed
in the chat can. An action belongs to one user, runs at most once and expires.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from ..agents.runtime import run_confirmed_action
from ..auth import require_auth
from ..errors import AppError
from ..extensions import user_store
from ..store.base import now_iso
from .decorators import response
from .schemas import ActionSchema

bp = Blueprint("actions", __name__, url_prefix="/api/actions")


def _resolve(action_id, status: str) -> dict:
    """Move the caller's pending action to `status`, or say why it cannot be."""
    store = user_store()
    action = store.resolve_action(str(action_id), status, now_iso())
    if action is not None:
        return action
    current = store.get_action(str(action_id))
    if current is None:
        raise AppError("ACTION_NOT_FOUND")
    if current["status"] == "pending":  # still pending, so it could only have expired
        store.finish_action(current["id"], "expired", {})
        raise AppError("ACTION_EXPIRED")
    raise AppError(
        "ACTION_EXPIRED" if current["status"] == "expired" else "ACTION_ALREADY_RESOLVED"
    )


@bp.get("/<uuid:action_id>")
@require_auth
@response(ActionSchema())
def get_action(action_id):
    """A pending (or resolved) action of the caller."""
    action = user_store().get_action(str(action_id))
    if action is None:
        raise AppError("ACTION_NOT_FOUND")
    return action


@bp.post("/<uuid:action_id>/confirm")
@require_auth
@response(ActionSchema())
def confirm_action(action_id):
    """Confirm and execute the action, once."""
    action = _resolve(action_id, "confirmed")
    return run_confirmed_action(user_store(), current_app.config, action)


@bp.post("/<uuid:action_id>/cancel")
@require_auth
@response(ActionSchema())
def cancel_action(action_id):
    """Cancel the action; nothing is changed."""
    return _resolve(action_id, "cancelled")
