"""What the OpenAI-compatible provider's test modules share: the emulator, an app (and its
provider) pointed at it, a bare TCP endpoint for servers that never answer, and small helpers.

A test module takes the fixtures by importing them (`emulator_fixture`, … give the fixtures
`emulator`, `openai_app`, `app` and `provider`).
"""

from __future__ import annotations

import pytest

from canvalo_app.errors import AppError
from canvalo_app.llm.base import ModelRequest, TextDelta, ToolSpec
from tests.openai_emulator import OpenAIEmulator

BASE_DELAY = 0.05
MODEL = "llama3.1:8b"
API_KEY = "sk-test-key-never-shown"
USER = [{"role": "user", "content": [{"text": "How are my invoices?"}]}]
LOOKUP = ToolSpec(
    "lookup_invoice",
    "Find an invoice by its number.",
    {"type": "object", "properties": {"number": {"type": "string"}}, "required": ["number"]},
)
LOOKUP_TOOL = {
    "type": "function",
    "function": {
        "name": LOOKUP.name,
        "description": LOOKUP.description,
        "parameters": LOOKUP.input_schema,
    },
}


@pytest.fixture(name="emulator")
def emulator_fixture():
    emu = OpenAIEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture(name="openai_app")
def openai_app_fixture(make_app, emulator):
    """Build an app on the emulator: short backoffs, three retries, overrides on top."""

    def build(**overrides):
        settings = {
            "MODEL_PROVIDER": "openai",
            "OPENAI_BASE_URL": emulator.url,
            "OPENAI_MODEL": MODEL,
            "OPENAI_API_KEY": None,
            "OPENAI_READ_TIMEOUT": 5.0,
            "RETRY_ATTEMPTS": 3,
            "RETRY_BASE_DELAY": BASE_DELAY,
            "RETRY_MAX_DELAY": 0.2,
            **overrides,
        }
        return make_app(**settings)

    return build


@pytest.fixture(name="app")
def app_fixture(openai_app):
    return openai_app()


@pytest.fixture(name="provider")
def provider_fixture(app):
    return app.extensions["model"]


def ask(tools=(), messages=USER, max_tokens=512, tool_choice=None) -> ModelRequest:
    return ModelRequest("Be brief.", list(messages), list(tools), max_tokens, None, tool_choice)


def run(provider, request: ModelRequest | None = None) -> tuple[list, AppError | None]:
    """Every event of one stream call, and the AppError that ended it (None on success)."""
    received: list = []
    try:
        for event in provider.stream(request or ask()):
            received.append(event)
    except AppError as error:
        return received, error
    return received, None


def texts(received: list) -> list[str]:
    return [event.text for event in received if isinstance(event, TextDelta)]
