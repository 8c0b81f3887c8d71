"""Log line formats shared by the app and gunicorn: JSON or text, secrets redacted.

Nothing here imports Flask: gunicorn's master process loads this module (through
gunicorn.conf.py) before a worker has patched itself for gevent.
"""

from __future__ import annotations

import json
import logging
import re

#: Query parameters whose values never reach a log line: tokens, tickets, keys, codes.
SECRET_PARAMETER = re.compile(
    r"(?i)([?&;](?:access_token|refresh_token|id_token|token|ticket|jwt|api_?key|key|"
    r"secret|password|code|signature|sig|apikey)=)[^&;#\s\"']*"
)
REDACTED = "[REDACTED]"
_TRACEBACKS = logging.Formatter()


def redact(text: str) -> str:
    """`text` with the value of every secret query parameter replaced."""
    return SECRET_PARAMETER.sub(rf"\g<1>{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """On every handler: the message with query secrets redacted, and a request id on
    records that were logged outside a request (gunicorn's own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:  # formatters reuse exc_text as it is
            record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an access line adds its `fields` (method, path, status…)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
