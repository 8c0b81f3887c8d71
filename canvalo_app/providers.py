"""The provider factory: which model answers. Amazon Bedrock in production, or any
OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp); the offline development model
(canvalo_app/devmodel) otherwise. The only module that may import the
development model (the layers contract in pyproject.toml checks it)."""

from __future__ import annotations

from flask import Flask

from config import ConfigError

from .llm.base import ModelProvider


def make_provider(config: dict) -> ModelProvider:
    if config["MODEL_PROVIDER"] == "offline":
        from .devmodel import OfflineProvider

        return OfflineProvider(token_delay=config["OFFLINE_TOKEN_DELAY"])
    if config["MODEL_PROVIDER"] == "bedrock":
        from .llm.bedrock import BedrockProvider

        return BedrockProvider(config)
    if config["MODEL_PROVIDER"] == "openai":
        from .llm.openai import OpenAIProvider

        return OpenAIProvider(config)
    raise ConfigError(
        f"MODEL_PROVIDER must be bedrock, openai or offline, got {config['MODEL_PROVIDER']!r}"
    )


def init_app(app: Flask) -> None:
    app.extensions["model"] = make_provider(app.config)
