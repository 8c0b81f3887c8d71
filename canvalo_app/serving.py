"""What gunicorn runs besides the app: the worker class and the access logger.

- `GeventWorker` answers the requests gunicorn refuses itself (a request line past
  `limit_request_line` → 414, too many or too large headers → 431, an unreadable request
  → 400) with the service's JSON error envelope instead of gunicorn's HTML page.
- `AccessLogger` writes one access line per request, in the configured format (JSON or
  text), with the request id the app answered with and query secrets redacted.

Nothing here imports Flask: gunicorn's master loads these before a worker patches gevent.
"""

from __future__ import annotations

import json
import os
import traceback
import uuid

from gunicorn import glogging
from gunicorn.workers.ggevent import GeventWorker as _GeventWorker

from .error_table import envelope
from .logformat import redact

#: gunicorn's own refusals, by status, as error codes of the envelope.
REFUSALS = {400: "MALFORMED_REQUEST", 414: "URI_TOO_LONG", 431: "HEADERS_TOO_LARGE"}


def error_answer(status: int, reason: str) -> bytes:
    """The raw HTTP answer to a request gunicorn refused before the app saw it."""
    request_id = uuid.uuid4().hex
    body = json.dumps(envelope(REFUSALS.get(status, "INTERNAL_ERROR"), request_id)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nX-Request-ID: {request_id}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _EnvelopeSocket:
    """The client socket as `util.write_error` sees it: its HTML page is replaced by the
    envelope (the status and reason are read from the page's first line)."""

    def __init__(self, sock):
        self._sock = sock

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        status, _, reason = data.split(b"\r\n", 1)[0].decode("latin-1")[9:].partition(" ")
        self._sock.sendall(error_answer(int(status), reason))

    send = sendall


class GeventWorker(_GeventWorker):
    def handle_error(self, req, client, addr, exc):
        super().handle_error(req, _EnvelopeSocket(client), addr, exc)


def _header(headers, name: str) -> str | None:
    for key, value in headers or ():
        if key.lower() == name:
            return value
    return None


class AccessLogger(glogging.Logger):
    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        try:
            message, args, extra = self._line(resp, environ, request_time)
            self.access_log.info(message, *args, extra=extra)
        except Exception:
            self.error(traceback.format_exc())

    def _line(self, resp, environ, request_time) -> tuple:
        query = environ.get("QUERY_STRING")
        path = redact(environ.get("PATH_INFO", "") + (f"?{query}" if query else ""))
        status = int(str(resp.status).split(None, 1)[0])
        request_id = _header(resp.headers, "x-request-id") or "-"
        fields = {
            "pid": os.getpid(),  # the worker that answered
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
            "status": status,
            "bytes": getattr(resp, "sent", None) or 0,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR", "-"),
            "user_agent": environ.get("HTTP_USER_AGENT", "-"),
            "referer": redact(environ.get("HTTP_REFERER", "-")),
        }
        message = '%s <%s> "%s %s" %s %s %sms "%s"'
        args = (fields["remote_addr"], fields["pid"], fields["method"], path, status)
        args += (fields["bytes"],)
        args += (fields["duration_ms"], fields["user_agent"])
        return message, args, {"request_id": request_id, "fields": fields}
