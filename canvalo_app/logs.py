"""Logging to stdout in one format, with the request id on every line.

The request id lives in a context variable: set per request by `bind_request_id`, and copied
into a generation's own greenlet so its log lines carry the id of the request that started it.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar

from flask import Flask, request

from .logformat import TEXT_FORMAT, JsonFormatter, RedactingFilter

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> None:
    _request_id.set(value)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def configure_logging(app: Flask) -> None:
    """Send the app's logs to stdout in the configured format (json or text)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    json_lines = app.config["LOG_FORMAT"] == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    package = logging.getLogger("canvalo_app")
    package.handlers[:] = [handler]
    package.setLevel(app.config["LOG_LEVEL"])
    package.propagate = False

    @app.before_request
    def bind_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        set_request_id(incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex)

    @app.after_request
    def add_request_id_header(response):
        response.headers["X-Request-ID"] = current_request_id()
        return response
