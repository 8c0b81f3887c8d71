"""The offline model's conversation titles: the key words of the first message, in order.

"Which invoices are overdue?" is titled "Invoices overdue": the small words go, at most
`TITLE_WORDS` remain, and the first is capitalised. Deterministic, like the rest of the
offline model; "New conversation" when no key word is left.
"""

from __future__ import annotations

import re

TITLE_WORDS = 5
_WORD = re.compile(r"[\w'’$%.-]*\w")
# fmt: off
SMALL_WORDS = frozenset({
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could",
    "did", "do", "does", "for", "from", "get", "give", "got", "had", "has", "have", "how", "i",
    "in", "is", "it", "its", "let", "many", "me", "much", "my", "need", "of", "on", "or", "our",
    "please", "show", "some", "tell", "that", "the", "their", "them", "there", "these", "this",
    "to", "us", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will",
    "with", "would", "you", "your",
})
# fmt: on


def offline_title(text: str) -> str:
    words = [word for word in _WORD.findall(text) if word.lower() not in SMALL_WORDS]
    if not words:
        return "New conversation"
    title = " ".join(words[:TITLE_WORDS])
    return title[0].upper() + title[1:]
