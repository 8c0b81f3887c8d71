"""gunicorn settings for long-lived SSE streams on gevent workers.

This file reads only the platform's port (PORT), the bind address and, with REDIS_URL,
WEB_CONCURRENCY (see `workers`); everything else is the app's config.
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
# conversation rule) is shared through Redis when REDIS_URL is set: then run WEB_CONCURRENCY
# workers, or one per core. Without Redis it lives in the worker's memory, so exactly one
# worker runs (it carries thousands of concurrent streams). `--workers` on the command line
# still wins.
if os.environ.get("REDIS_URL", "").strip():
    workers = int(os.environ.get("WEB_CONCURRENCY", "").strip() or os.cpu_count() or 1)
else:
    workers = 1
# One worker holds this many open streams at once (measured in docs/benchmarks.md).
worker_connections = 10000
# No preload: boto3 and TLS must be created after gevent patches the worker.
preload_app = False
timeout = 60
graceful_timeout = 20  # in-flight streams get this long to end with a terminal event
keepalive = 95  # longer than the platform router's idle timeout
accesslog = "-"
# The path without its query string: a resume ticket (?ticket=) or a token never reaches a log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Every log line to stdout, gunicorn's own included (by default its error log is stderr).
_stdout = {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stdout"}
logconfig_dict = {
    "handlers": {"console": _stdout, "error_console": _stdout},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
forwarded_allow_ips = "*"


def on_starting(server):
    """Let the worker open a socket for every connection it may take: the soft limit on
    open files is raised to the hard one, and a hard limit too low for that is logged."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = server.cfg.worker_connections * server.cfg.workers + 256  # + files, logs, store
    if soft != hard and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        server.log.warning(
            "open-file limit %d is below the %d that %d connection(s) per worker need; "
            "raise it (ulimit -n) or lower worker_connections",
            soft,
            wanted,
            server.cfg.worker_connections,
        )


def post_worker_init(worker):
    """On SIGTERM, end running generations at once instead of waiting out graceful_timeout:
    each saves its partial answer (`interrupted`) and sends its stream a terminal event."""
    import signal

    import gevent

    from canvalo_app.engine import start, stop_all

    start(worker.wsgi)  # this worker's lease, stop listener and takeover of lapsed workers

    def handle_term(sig, frame):
        gevent.spawn(stop_all, worker.wsgi)
        worker.handle_exit(sig, frame)

    signal.signal(signal.SIGTERM, handle_term)
    # The app's modules, agents and schemas live as long as the worker: keep them out of
    # every garbage collection, and collect the young objects of streams less often.
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
