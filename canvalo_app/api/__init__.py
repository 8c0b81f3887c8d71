"""The HTTP layer: one blueprint per resource."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import chat, conversations, health

    for module in (health, conversations, chat):
        app.register_blueprint(module.bp)
