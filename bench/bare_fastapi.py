"""The peer: the same endpoint and frames as `bare_gevent.py`, with FastAPI on uvicorn.

One process, uvloop + httptools (`uvicorn[standard]`), no access log; an async generator
with `asyncio.sleep` in a `StreamingResponse`:

    cd bench && BARE_TOKENS=40 BARE_TOKEN_DELAY=0.03 \\
      ../.venv/bin/python -m uvicorn bare_fastapi:app --host 127.0.0.1 --port 5002 \\
      --no-access-log --log-level warning

See `frames.py` for the settings.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

try:  # run as `bare_fastapi:app` from bench/, or as `bench.bare_fastapi:app` from the root
    from frames import HEADERS, PING, complete_frame, settings, start_frame, token_frame
except ImportError:  # pragma: no cover
    from bench.frames import HEADERS, PING, complete_frame, settings, start_frame, token_frame

TOKENS, DELAY, TEXTS = settings()

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.post("/api/chat/stream")
async def chat_stream(request: Request):
    with contextlib.suppress(ValueError):
        await request.json()  # read the body, as the service does

    async def generate():
        yield PING
        start, message_id = start_frame()
        yield start
        for n in range(TOKENS):
            if DELAY:
                await asyncio.sleep(DELAY)
            yield token_frame(n + 2, TEXTS[n % len(TEXTS)])
        yield complete_frame(TOKENS + 2, message_id, TOKENS)

    headers = {k: v for k, v in HEADERS.items() if k != "Content-Type"}
    return StreamingResponse(generate(), media_type="text/event-stream", headers=headers)
