"""Destructive tool actions waiting for the user's confirmation.

Only these endpoints execute a delete, cancel, send or schedule: the model cannot, and
nothing typed in the chat can. An action belongs to one user, runs at most once and expires.

Its states: `pending` until the user confirms, cancels or it expires (`cancelled`,
`expired`). Confirming moves it to `executing` in one conditional write, so of two
concurrent confirms one runs it and the other gets ACTION_IN_PROGRESS. The tool's run ends it
`confirmed` (with the result), `failed` (a permanent refusal, with the reason), or back in
`pending` after a store failure, for the user to confirm again. An action whose worker died
mid-run, or whose outcome could not be saved, stays `executing`: `GET` shows it, and it is
never retried on its own, since the tool may already have acted.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from ..agents.confirmed import run_confirmed_action
from ..auth import require_auth
from ..errors import AppError
from ..extensions import user_store
from ..store.base import now_iso
from .decorators import response
from .schemas import ActionSchema

bp = Blueprint("actions", __name__, url_prefix="/api/actions")


#: Why an action that is no longer pending cannot be confirmed or cancelled.
REFUSALS = {"executing": "ACTION_IN_PROGRESS", "expired": "ACTION_EXPIRED"}


def _resolve(action_id, status: str) -> dict:
    """Move the caller's pending action to `status` (executing, or cancelled), or say why
    it cannot be."""
    store = user_store()
    action = store.resolve_action(str(action_id), status, now_iso())
    if action is not None:
        return action
    current = store.get_action(str(action_id))
    if current is None:
        raise AppError("ACTION_NOT_FOUND")
    if current["status"] == "pending":  # still pending, so it could only have expired
        store.transition_action(current["id"], "pending", "expired")
        raise AppError("ACTION_EXPIRED")
    raise AppError(REFUSALS.get(current["status"], "ACTION_ALREADY_RESOLVED"))


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
    """Confirm and execute the action, once (see `run_confirmed_action` for what can end it)."""
    action = _resolve(action_id, "executing")
    return run_confirmed_action(user_store(), current_app.config, action)


@bp.post("/<uuid:action_id>/cancel")
@require_auth
@response(ActionSchema())
def cancel_action(action_id):
    """Cancel the action; nothing is changed."""
    return _resolve(action_id, "cancelled")
