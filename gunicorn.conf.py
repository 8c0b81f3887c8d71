"""gunicorn settings for long-lived SSE streams on gevent workers.

This file reads only the platform's serving contract (PORT, WEB_CONCURRENCY) and the bind
address; everything else is the app's config.
"""

import os

_port = os.environ.get("PORT")
bind = (
    f"0.0.0.0:{_port}"
    if _port
    else f"{os.environ.get('API_HOST', '127.0.0.1')}:{os.environ.get('API_PORT', '5000')}"
)

worker_class = "gevent"
# Generation state (the event log resume reads, stop signals, the one-generation-per-
# conversation rule) lives in the worker's memory, so run one worker; it carries
# thousands of concurrent streams.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_connections = 2000
# No preload: boto3 and TLS must be created after gevent patches the worker.
preload_app = False
timeout = 60
graceful_timeout = 20  # in-flight streams get this long to end with a terminal event
keepalive = 95  # longer than the platform router's idle timeout
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = "*"
