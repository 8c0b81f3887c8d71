"""The summary of a long conversation, written by the model after a turn.

When a conversation's history no longer fits `HISTORY_TOKEN_BUDGET`, the turns that fall out
are folded into a summary: after the turn has ended (its stream is complete), one model call
with a forced `save_summary` tool rewrites the previous summary together with the turns it
does not cover yet. The summary is stored in the metadata of the answer that triggered it,
with the time of the last message it covers, and refreshed once at least `REFRESH_AFTER`
more messages have fallen out. Until then, and whenever the model cannot write one, the
turns it does not cover are shown cut short instead (agents/context.py).

Branches keep it right: a summary is read only from the messages of the branch being
answered (store/branches.py), and it covers only messages before its answer on that
answer's branch, which every branch through that answer shares. A branch that leaves
before that answer (an edit of an earlier message) never sees the summary.
"""

from __future__ import annotations

import logging
from functools import cache

from flask import Flask

from ..errors import AppError
from ..llm.base import ModelRequest, ToolSpec, ToolUse
from ..store.base import UserStore
from .memory import said, split_history

log = logging.getLogger(__name__)

SUMMARY_TOOL = "save_summary"
SUMMARY_CHARS = 1200
REFRESH_AFTER = 4
SUMMARY_PROMPT = (
    "You keep the memory of a conversation between a painting contractor and their "
    "assistant. Rewrite the summary below together with the messages that follow it into one "
    "short summary (at most 150 words): what was asked, what was done, and the records named "
    "(numbers, names, dates, amounts). Call save_summary with it."
)


@cache
def summary_spec() -> ToolSpec:
    return ToolSpec(
        SUMMARY_TOOL,
        "Save the conversation's summary.",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["summary"],
            "properties": {"summary": {"type": "string", "description": "The new summary."}},
        },
    )


def stored_summary(rows: list[dict]) -> tuple[str, str]:
    """The newest stored summary among `rows` and the time of the last message it covers
    (empty strings if there is none)."""
    for row in reversed(rows):
        summary = (row.get("metadata") or {}).get("summary")
        if isinstance(summary, dict) and summary.get("text") and summary.get("until"):
            return summary["text"], summary["until"]
    return "", ""


def refresh_summary(app: Flask, store: UserStore, conversation_id: str, message_id: str) -> bool:
    """After a turn: fold the messages that no longer fit the history into the summary,
    stored with `message_id`; whether a new summary was saved. Only the branch that ends at
    `message_id` is read, even if the user has switched branch since the turn ended."""
    rows = store.recent_messages(conversation_id, 200, through=message_id)
    _, older = split_history(rows, app.config["HISTORY_TOKEN_BUDGET"])
    text, until = stored_summary(rows)
    uncovered = [row for row in older if row["created_at"] > until]
    if len(uncovered) < REFRESH_AFTER:
        return False
    transcript = "\n".join(f"{row['role']}: {' '.join(said(row).split())}" for row in uncovered)
    request = ModelRequest(
        SUMMARY_PROMPT,
        [
            {
                "role": "user",
                "content": [{"text": f"Summary so far: {text or '(none)'}\n\n{transcript}"}],
            }
        ],
        [summary_spec()],
        max_tokens=400,
        tool_choice="any",
        purpose="summary",
    )
    try:
        events = list(app.extensions["model"].stream(request))
    except AppError as error:  # the shortened turns stand in until the next try
        log.warning("could not summarise conversation %s: %s", conversation_id, error.code)
        return False
    written = next(
        (
            e.input.get("summary")
            for e in events
            if isinstance(e, ToolUse) and e.name == SUMMARY_TOOL
        ),
        None,
    )
    if not isinstance(written, str) or not written.strip():
        return False
    answer = store.get_message(message_id)
    metadata = {**(answer or {}).get("metadata", {})}
    metadata["summary"] = {
        "text": written.strip()[:SUMMARY_CHARS],
        "until": uncovered[-1]["created_at"],
    }
    store.update_message(message_id, metadata=metadata)
    return True
