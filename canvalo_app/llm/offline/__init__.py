"""The offline model: deterministic and rule-based, for development and tests. Not an AI.

It lets the whole product run with no credentials and no network. Its answers are templates,
streamed word by word with `token_delay` seconds between words so streaming is visible.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from .base import ModelEvent, ModelProvider, ModelRequest, Stop, TextDelta, Usage, text_of

_WORD = re.compile(r"\S+\s*|\s+")


def words(text: str) -> list[str]:
    """Split text into word pieces that concatenate back to exactly `text`."""
    return _WORD.findall(text)


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


class OfflineProvider(ModelProvider):
    name = "offline"

    def __init__(self, token_delay: float = 0.0):
        self.token_delay = token_delay

    def describe(self) -> dict:
        return {
            "provider": "offline",
            "model_id": "offline-rules",
            "note": "deterministic development model, not an AI",
        }

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        answer = self.answer(request)
        yield from self.stream_text(answer)
        yield Stop("end_turn")
        prompt = request.system + "".join(text_of(m) for m in request.messages)
        yield Usage(estimate_tokens(prompt), estimate_tokens(answer))

    def answer(self, request: ModelRequest) -> str:
        said = text_of(request.messages[-1]).strip() if request.messages else ""
        preview = said if len(said) <= 80 else said[:77] + "..."
        return (
            f'You said: "{preview}". I am the offline development model, so I answer '
            "from simple rules rather than AI."
        )

    def stream_text(self, text: str) -> Iterator[TextDelta]:
        for index, piece in enumerate(words(text)):
            if index and self.token_delay:
                time.sleep(self.token_delay)
            yield TextDelta(piece)
