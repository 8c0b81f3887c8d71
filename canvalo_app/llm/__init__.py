"""Model providers: Amazon Bedrock in production, a deterministic offline model otherwise."""

from __future__ import annotations

from flask import Flask

from config import ConfigError

from .base import ModelProvider


def make_provider(config: dict) -> ModelProvider:
    if config["MODEL_PROVIDER"] == "offline":
        from .offline import OfflineProvider

        return OfflineProvider(token_delay=config["OFFLINE_TOKEN_DELAY"])
    if config["MODEL_PROVIDER"] == "bedrock":
        from .bedrock import BedrockProvider

        return BedrockProvider(config)
    raise ConfigError(
        f"MODEL_PROVIDER must be bedrock or offline, got {config['MODEL_PROVIDER']!r}"
    )


def init_app(app: Flask) -> None:
    app.extensions["model"] = make_provider(app.config)
