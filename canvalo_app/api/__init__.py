"""The HTTP layer: one blueprint per resource."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import (
        account,
        actions,
        branches,
        chat,
        conversations,
        export,
        feedback,
        health,
        pages,
        search,
        ui_chat,
        usage,
    )
    from .decorators import rate_limit_headers

    for module in (
        health, conversations, branches, feedback, search, export, chat, ui_chat, actions,
        usage, account, pages,
    ):  # fmt: skip
        app.register_blueprint(module.bp)
    app.after_request(rate_limit_headers)
