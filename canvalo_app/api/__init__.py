"""The HTTP layer: one blueprint per resource."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import actions, chat, conversations, health, pages, ui_chat, usage
    from .decorators import rate_limit_headers

    for module in (health, conversations, chat, ui_chat, actions, usage, pages):
        app.register_blueprint(module.bp)
    app.after_request(rate_limit_headers)
