"""A generation: the greenlet that runs one assistant turn, its event log, the ticker that
saves its text and keeps its deadline, and the sweep."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from ..errors import AppError
from .log import GenerationRegistry
from .sweep import sweep_abandoned
from .ticker import Ticker

log = logging.getLogger(__name__)


def _sweep_periodically(app: Flask, interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            sweep_abandoned(app)
        except AppError as error:
            log.warning("periodic sweep failed: %s", error.code)


def stop_all(app: Flask, reason: str = "shutdown") -> int:
    """Ask every running generation to end now; each saves its row and ends its stream
    within a fraction of a second, even while its model call or tool is still waiting."""
    running = app.extensions["generations"].running()
    for generation in running:
        generation.request_stop(reason)
    if running:
        log.info("asked %d running generation(s) to stop: %s", len(running), reason)
    return len(running)


def _registry(app: Flask):
    """Generation state in Redis when REDIS_URL is set (any number of workers and
    instances), else in this worker's memory (exactly one worker)."""
    config = app.config
    if not config["REDIS_URL"]:
        return GenerationRegistry(config["GENERATION_RETENTION_SECONDS"])
    from .shared import SharedRegistry

    return SharedRegistry(
        config["REDIS_URL"],
        app.extensions["store"],
        retention=config["GENERATION_RETENTION_SECONDS"],
        lease=config["WORKER_LEASE_SECONDS"],
        renew=config["WORKER_RENEW_SECONDS"],
        deadline=config["TURN_DEADLINE_SECONDS"],
    )


def start(app: Flask) -> None:
    """Start the engine's background work in the worker that serves (gunicorn.conf.py)."""
    app.extensions["generations"].start()


def init_app(app: Flask) -> None:
    app.extensions["generations"] = _registry(app)
    app.extensions["ticker"] = Ticker(app.extensions["store"], app.config["CONTENT_FLUSH_SECONDS"])
    try:
        sweep_abandoned(app)
    except AppError as error:  # a store that is down must not keep the service from starting
        log.warning("start-up sweep failed: %s", error.code)
    interval = app.config["SWEEP_INTERVAL_SECONDS"]
    if interval > 0:
        threading.Thread(
            target=_sweep_periodically, args=(app, interval), daemon=True, name="sweeper"
        ).start()
