"""The ceiling: a bare Flask app streaming the service's SSE frames, with no auth and no store.

Served the way the service is, by gunicorn with one gevent worker (`time.sleep` is
monkey-patched by the worker, so every sleeping stream is a parked greenlet):

    cd bench && BARE_TOKENS=40 BARE_TOKEN_DELAY=0.03 \\
      ../.venv/bin/python -m gunicorn -k gevent -w 1 --worker-connections 10000 \\
      -b 127.0.0.1:5001 bare_gevent:app

(run from `bench/` so gunicorn does not pick up the service's `gunicorn.conf.py`; no access
log is gunicorn's default). `POST /api/chat/stream` reads the JSON body and streams `: ping`,
`start`, BARE_TOKENS `token` events (sleeping BARE_TOKEN_DELAY before each) and `complete`.
See `frames.py` for the settings.
"""

from __future__ import annotations

import time

from flask import Flask, Response, request

try:  # run as `bare_gevent:app` from bench/, or as `bench.bare_gevent:app` from the root
    from frames import HEADERS, PING, complete_frame, settings, start_frame, token_frame
except ImportError:  # pragma: no cover
    from bench.frames import HEADERS, PING, complete_frame, settings, start_frame, token_frame

TOKENS, DELAY, TEXTS = settings()

app = Flask(__name__)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/api/chat/stream")
def chat_stream():
    request.get_json(force=True, silent=True)  # read the body, as the service does

    def generate():
        yield PING
        start, message_id = start_frame()
        yield start
        for n in range(TOKENS):
            if DELAY:
                time.sleep(DELAY)
            yield token_frame(n + 2, TEXTS[n % len(TEXTS)])
        yield complete_frame(TOKENS + 2, message_id, TOKENS)

    return Response(generate(), headers=HEADERS)
