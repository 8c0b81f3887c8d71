"""All of the caller's data: delete everything, behind a confirmation token.

Two steps, so that no single request (a stray click, a replayed call) deletes everything:
`POST /api/account/deletion` says what would go and returns a signed token valid for five
minutes (canvalo_app/confirmations.py); `DELETE /api/account/data` with that token deletes.
Conversations go with their messages, and the actions waiting for confirmation; business
records only when the token was asked for with `include_business_records`; only what was
created up to the token's issue, so a token used again deletes nothing new. While it deletes,
no answer can start in a conversation that goes (canvalo_app/engine/erase.py). The token_usage
ledger stays: it backs the monthly token quota, which deleting data must not reset.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g

from .. import confirmations
from ..auth import require_auth
from ..engine.erase import delete_all_data
from ..extensions import user_store
from .account_schemas import (
    DataDeletedSchema,
    DataDeletionSchema,
    DeletionConfirmationSchema,
    DeletionRequestSchema,
)
from .decorators import body, response

bp = Blueprint("account", __name__, url_prefix="/api/account")


@bp.post("/deletion")
@require_auth
@body(DeletionRequestSchema())
@response(DeletionConfirmationSchema())
def request_deletion(body):
    """Step one of deleting all the caller's data: what would go, and a confirmation token.
    The token is valid for five minutes, for this caller only, and covers business records
    only if `include_business_records` was true. Nothing is deleted yet."""
    include = body["include_business_records"]
    confirmation = confirmations.issue(current_app.config, g.identity.user_id, include)
    return {
        "confirmation_token": confirmation.token,
        "expires_at": confirmation.expires_at,
        "include_business_records": include,
        "will_delete": user_store().data_counts(include),
    }


@bp.delete("/data")
@require_auth
@body(DataDeletionSchema())
@response(DataDeletedSchema())
def delete_data(body):
    """Step two of deleting all the caller's data: delete it, with the confirmation token.
    Conversations with their messages and the assistant's actions go, and business records
    if the token covers them: those created up to the moment the token was issued (using the
    token again deletes nothing new). The token usage ledger stays. 404 CONFIRMATION_INVALID
    for a token that is expired, altered or someone else's; 409 CONVERSATION_BUSY while an
    answer is being written (stop it or let it finish, then try again)."""
    grant = confirmations.accepted(
        current_app.config, body["confirmation_token"], g.identity.user_id
    )
    deleted = delete_all_data(current_app, user_store(), grant.include_business, grant.issued_at)
    return {"deleted": deleted, "include_business_records": grant.include_business}
