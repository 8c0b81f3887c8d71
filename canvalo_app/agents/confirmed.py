"""Running an action the user confirmed: exactly once, and saying how it ended.

`pending` → `executing` (the confirm endpoint's conditional move) → `confirmed`, `failed`,
or back to `pending` when a store failure left nothing written (see `run_confirmed_action`).
"""

from __future__ import annotations

import logging

from marshmallow import ValidationError

from ..errors import AppError
from ..store.base import UserStore
from .context import tool_context
from .domains import agents
from .tools import FAILED, ToolError, run_confirmed

log = logging.getLogger(__name__)


def run_confirmed_action(store: UserStore, config: dict, action: dict) -> dict:
    """Execute an action the user confirmed, which this call alone has moved to `executing`,
    with the tool context of the turn that asked for it; the action as it ends: `confirmed`,
    with the tool's result.

    A store failure (a retryable AppError) before the tool wrote anything, and without a
    request whose answer was lost, changed nothing: the action is `pending` again, for the
    user to confirm again (ACTION_INTERRUPTED). One after a write, or that may have been
    carried out, leaves it `executing`, never run again (ACTION_OUTCOME_UNKNOWN). A refusal
    (the record changed or is gone), another AppError, stored input that no longer loads or
    a defect ends it `failed`, the reason in its result (ACTION_FAILED).
    """
    writes = store.writes
    try:
        ctx = tool_context(store, config, action["conversation_id"], action["message_id"])
        result = run_confirmed(agents()[action["agent_type"]], action, ctx)
    except AppError as error:
        if not error.retryable:
            raise _failed(store, action, error.code, error.message) from error
        if store.writes != writes or getattr(error, "maybe_written", False):
            log.error("action %s may have run: %s", action["id"], error.code)
            details = _status(action, "executing")
            raise AppError("ACTION_OUTCOME_UNKNOWN", details=details) from error
        _end(store, action, "pending", resolved_at=None)
        raise AppError("ACTION_INTERRUPTED", details=_status(action, "pending")) from error
    except ToolError as error:
        raise _failed(store, action, "REFUSED", str(error)) from error
    except ValidationError as error:
        raise _failed(store, action, "INVALID_INPUT", str(error.messages)) from error
    except Exception as error:
        log.exception("confirmed action %s (%s) failed", action["id"], action["tool_name"])
        raise _failed(store, action, "INTERNAL_ERROR", FAILED) from error
    return _end(store, action, "confirmed", result=result)


def _status(action: dict, status: str, **more) -> dict:
    return {"action_id": action["id"], "status": status, **more}


def _failed(store: UserStore, action: dict, code: str, message: str) -> AppError:
    """End the action `failed` with the reason; the error that says so."""
    reason = {"code": code, "message": message}
    _end(store, action, "failed", result={"error": reason})
    return AppError("ACTION_FAILED", details=_status(action, "failed", reason=reason))


def _end(store: UserStore, action: dict, status: str, **values) -> dict:
    """Move the executing action to `status`. If the store cannot write that, it stays
    `executing` and is never run again: ACTION_OUTCOME_UNKNOWN."""
    try:
        ended = store.transition_action(action["id"], "executing", status, **values)
    except AppError as error:
        log.error("action %s could not be marked %s: %s", action["id"], status, error.code)
        details = _status(action, "executing")
        raise AppError("ACTION_OUTCOME_UNKNOWN", details=details) from error
    # None only if the action's conversation was deleted meanwhile: say how it ended anyway.
    return ended or store.get_action(action["id"]) or {**action, "status": status, **values}
