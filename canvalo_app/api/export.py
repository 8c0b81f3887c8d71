"""Export one conversation or all of them, as JSON or Markdown, as a file to download.

JSON holds every message, every version of it (a branch's alternatives too); Markdown is the
conversation as the user sees it (its active branch). All conversations come at most
`EXPORT_PAGE_MAX` to a file, newest activity first; `offset` gives the next ones.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify

from ..auth import require_auth
from ..extensions import user_store
from .account_schemas import ExportAllQuery, ExportPageSchema, ExportQuery, ExportSchema
from .conversations import owned_conversation
from .decorators import query

bp = Blueprint("export", __name__, url_prefix="/api")

#: Messages read at once for the Markdown of one conversation.
MESSAGE_PAGE = 500
SPEAKERS = {"user": "You", "assistant": "Assistant"}


def documents(schema):
    """Record for the OpenAPI document that the view answers JSON shaped by `schema` (or,
    with format=markdown, text/markdown)."""

    def decorator(view):
        doc = {"response": schema, "media_type": "text/markdown"}
        view.openapi = {**getattr(view, "openapi", {}), **doc}
        return view

    return decorator


def _active_branch(store, conversation_id: str) -> list[dict]:
    """The messages the user sees in the conversation, oldest first, however many."""
    messages: list[dict] = []
    while True:
        page, total = store.list_messages(conversation_id, MESSAGE_PAGE, len(messages))
        messages += page
        if not page or len(messages) >= total:
            return messages


def _when(instant: str | None) -> str:
    if not instant:
        return "never"
    return datetime.fromisoformat(instant).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _markdown_conversation(conversation: dict, messages: list[dict]) -> list[str]:
    lines = [
        f"## {' '.join(conversation['title'].split())}",
        "",
        f"Started {_when(conversation['created_at'])} · last message "
        f"{_when(conversation['last_message_at'])} · {len(messages)} messages",
        "",
    ]
    for message in messages:
        speaker = SPEAKERS[message["role"]]
        note = "" if message["status"] == "complete" else f" _({message['status']})_"
        lines += [f"**{speaker}** · {_when(message['created_at'])}{note}", "", message["content"]]
        lines.append("")
    return lines


def _markdown(conversations: list[dict], exported_at: str) -> str:
    store = user_store()
    lines = ["# Canvalo conversations", "", f"Exported {_when(exported_at)}.", ""]
    for conversation in conversations:
        lines += _markdown_conversation(conversation, _active_branch(store, conversation["id"]))
    return "\n".join(lines)


def _attachment(name: str, export_format: str, conversations: list[dict], page: dict) -> Response:
    """The export as a file: JSON with every message, or Markdown of what the user sees."""
    exported_at = datetime.now(UTC).isoformat()
    if export_format == "markdown":
        answer = Response(_markdown(conversations, exported_at), mimetype="text/markdown")
        extension = "md"
    else:
        schema = ExportPageSchema() if page else ExportSchema()
        messages = user_store().messages_of([c["id"] for c in conversations])
        with_messages = [{**c, "messages": messages[c["id"]]} for c in conversations]
        answer = jsonify(
            schema.dump({"exported_at": exported_at, "conversations": with_messages, **page})
        )
        extension = "json"
    answer.headers["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return answer


@bp.get("/conversations/<uuid:conversation_id>/export")
@require_auth
@query(ExportQuery())
@documents(ExportSchema())
def export_conversation(conversation_id, query):
    """Download one conversation: JSON, or Markdown with `format=markdown`.
    JSON (`application/json`) holds every message, every version of it; Markdown
    (`text/markdown`) is the conversation as shown: its title, dates, then each turn. Sent
    as an attachment (`Content-Disposition`)."""
    conversation = owned_conversation(conversation_id)
    name = f"canvalo-conversation-{conversation['id']}"
    return _attachment(name, query["format"], [conversation], {})


@bp.get("/export")
@require_auth
@query(ExportAllQuery())
@documents(ExportPageSchema())
def export_all(query):
    """Download the caller's conversations: JSON, or Markdown with `format=markdown`.
    At most `limit` (100) conversations a file, newest activity first; `offset` and
    `has_more` page on. JSON (`application/json`) holds every message, every version of it;
    Markdown (`text/markdown`) each conversation as shown. Sent as an attachment
    (`Content-Disposition`)."""
    limit, offset = query["limit"], query["offset"]
    conversations, total = user_store().list_conversations(limit, offset)
    page = {
        "total": total,
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(conversations) < total,
    }
    name = f"canvalo-export-{datetime.now(UTC):%Y%m%d}" + (f"-from-{offset + 1}" if offset else "")
    return _attachment(name, query["format"], conversations, page)
