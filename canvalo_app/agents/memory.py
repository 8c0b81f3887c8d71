"""What the model remembers of the tools: a compact, bounded note of each tool call — its
name, its outcome and the key fields of the records it touched — kept with the answer's
metadata and shown to the model in later turns, and to later agents of the same turn, so
that "yes, save it", "book her Friday" or "what about that invoice?" resolve."""

from __future__ import annotations

#: The fields that identify a record to the model, in the order they are shown.
KEY_FIELDS = (
    "id", "invoice_number", "proposal_number", "name", "title", "first_name", "last_name",
    "company", "client_name", "reviewer_name", "status", "total", "amount_paid", "start_time",
    "due_date", "rating",
)  # fmt: skip
RECORDS_PER_CALL = 5
CALLS_SHOWN = 8
FIELD_CHARS = 60


def records_of(result: dict) -> list[dict]:
    """The records a tool's result holds (one, or the first of a list), each cut down to
    its key fields."""
    found: list[dict] = []
    for value in result.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and "id" in item and len(found) < RECORDS_PER_CALL:
                found.append(
                    {key: str(item[key])[:FIELD_CHARS] for key in KEY_FIELDS if item.get(key)}
                )
    return found


def tools_note(calls: list[dict]) -> str:
    """One line per tool call (the latest `CALLS_SHOWN`): what ran, how it went, and the
    records it touched."""
    lines = []
    for call in calls[-CALLS_SHOWN:]:
        records = "; ".join(
            ", ".join(f"{key} {value}" for key, value in record.items())
            for record in call.get("records") or []
        )
        line = f"- {call['name']} ({call['status']}): {call.get('summary') or ''}"
        lines.append(line + (f" [{records}]" if records else ""))
    return "Tools used:\n" + "\n".join(lines) if lines else ""


def estimate_tokens(text: str) -> int:
    return len(text) // 4 + 1


def said(row: dict) -> str:
    """A stored message as the model sees it: its text and, for an answer, the note of what
    its tools did."""
    calls = (row.get("metadata") or {}).get("tool_calls") if row["role"] == "assistant" else None
    note = tools_note(calls) if calls else ""
    return (
        f"{note}\n\n{row['content']}" if note and row["content"].strip() else note or row["content"]
    )


def split_history(rows: list[dict], budget: int) -> tuple[list[dict], list[dict]]:
    """The newest `rows` that fit `budget` tokens, and the older ones, both oldest first."""
    kept, used = [], 0
    for row in reversed(rows):
        cost = estimate_tokens(said(row))
        if kept and used + cost > budget:
            break
        kept.append(row)
        used += cost
    return kept[::-1], rows[: len(rows) - len(kept)]
