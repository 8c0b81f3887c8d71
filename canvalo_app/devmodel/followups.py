"""Follow-ups in the development model: "mark it paid", "book her Friday at 10". A pronoun
in the user's words stands for the last record the conversation's tools touched, as the
notes of earlier answers name it (agents/memory.py writes them)."""

from __future__ import annotations

import re

from ..llm.base import text_of

PRONOUN = re.compile(r"\b(that one|this one|it|her|him|them)\b", re.IGNORECASE)
_NOTE = re.compile(r"^- \S+ \(ok\): .*\[([^\]]+)\]$", re.MULTILINE)
#: The fields that name a record, in the order a person would use them.
NAMES = ("invoice_number", "proposal_number", "name", "title", "client_name", "reviewer_name")


def _name(record: str) -> str | None:
    fields = dict(pair.split(" ", 1) for pair in record.split(", ") if " " in pair)
    person = " ".join(filter(None, (fields.get("first_name"), fields.get("last_name"))))
    return person or next((fields[key] for key in NAMES if fields.get(key)), None)


def last_record(messages: list[dict]) -> str | None:
    """How the newest record an earlier answer's tools touched is named."""
    for message in reversed(messages[:-1]):
        if message["role"] == "assistant":
            notes = _NOTE.findall(text_of(message))
            if notes:
                return _name(notes[-1].split("; ")[0])
    return None


def resolve(text: str, messages: list[dict]) -> str:
    """`text` with its first pronoun replaced by the record it stands for, if any."""
    if PRONOUN.search(text) and (name := last_record(messages)):
        return PRONOUN.sub(name, text, count=1)
    return text
