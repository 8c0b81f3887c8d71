"""Canvalo chat backend: the Flask application factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .version import __version__

if TYPE_CHECKING:  # gunicorn's master imports this package (canvalo_app.serving) before
    from flask import Flask  # a worker patches gevent: Flask is imported by the factory

__all__ = ["__version__", "create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → CLI → logging."""
    from flask import Flask

    from config import check_config, load_config

    from . import auth, cli, engine, extensions, metrics, providers
    from .api import metrics as metrics_endpoint
    from .api import register_blueprints
    from .errors import register_error_handlers
    from .logs import configure_logging

    overrides = config or {}
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(overrides.get("ENV_NAME")))
    app.config.update(overrides)
    check_config(app.config)

    configure_logging(app)
    metrics.init_app(app)
    auth.init_app(app)
    extensions.init_app(app)
    providers.init_app(app)
    engine.init_app(app)
    register_blueprints(app)
    metrics_endpoint.init_app(app)
    register_error_handlers(app)
    cli.init_app(app)
    return app
