"""The development model resolves follow-ups as a real model would from the notes of earlier
answers: "it", "her", "that one" stand for the last record the conversation's tools touched."""

from __future__ import annotations

from canvalo_app.devmodel.followups import last_record, resolve
from tests.helpers import send, stream_events


def note(line: str) -> dict:
    return {"role": "assistant", "content": [{"text": f"Tools used:\n{line}\n\nDone."}]}


def user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


def test_a_pronoun_stands_for_the_last_record_named_in_the_notes():
    messages = [
        user("show the Henderson invoice"),
        note(
            "- list_invoices (ok): Found 1 invoice [id 1, invoice_number INV-1002, status overdue]"
        ),
        user("mark it paid"),
    ]
    assert last_record(messages) == "INV-1002"
    assert resolve("mark it paid", messages) == "mark INV-1002 paid"
    person = [
        user("find Maria"),
        note("- list_contacts (ok): Found 1 [id 9, first_name Maria, last_name Lopez]"),
        user("book her"),
    ]
    assert resolve("book her Friday at 10", person) == "book Maria Lopez Friday at 10"
    assert resolve("mark it paid", [user("mark it paid")]) == "mark it paid"  # nothing to name


def test_a_follow_up_chat_acts_on_the_record_the_last_turn_found(client, users, live):
    first = stream_events(send(client, users.a, "show the Henderson invoice"))
    assert first[-1]["type"] == "complete"
    again = stream_events(
        send(client, users.a, "mark it paid", conversation_id=first[0]["conversation_id"])
    )
    assert again[-1]["type"] == "complete"
    [paid] = [i for i in live.list_records("invoices") if i["invoice_number"] == "INV-1002"]
    assert paid["status"] == "paid"
