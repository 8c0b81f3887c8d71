"""Search over the caller's conversations: titles and message text."""

from __future__ import annotations

from flask import Blueprint

from ..auth import require_auth
from ..extensions import user_store
from .account_schemas import SearchPageSchema, SearchQuery
from .decorators import query, response

bp = Blueprint("search", __name__, url_prefix="/api")


@bp.get("/search")
@require_auth
@query(SearchQuery())
@response(SearchPageSchema())
def search(query):
    """The caller's conversations whose title or messages hold every word of `q`.
    One result per conversation, newest match first: its newest matching message (or its
    title, with `message_id` null), with a snippet that marks each match «like this». Words
    are matched whole, case-insensitively, without stemming; the last word also as the
    start of a word."""
    limit, offset = query["limit"], query["offset"]
    results, total = user_store().search_conversations(query["q"], limit, offset)
    return {
        "results": results,
        "total": total,
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(results) < total,
    }
