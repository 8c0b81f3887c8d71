"""gunicorn settings for long-lived SSE streams on gevent workers.

The bind address, the log format and level, and whether Redis is used come from the app's
own config (config.py: the environment, and `.env` in development, exactly as the app reads
them). gunicorn alone reads the platform's PORT and WEB_CONCURRENCY (see `workers`).
"""

import glob
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Underscored: gunicorn reads every public name here as a setting (check_config is one).
# Neither module imports Flask, which a worker must import only after patching gevent.
from canvalo_app.logformat import TEXT_FORMAT as _TEXT_FORMAT  # noqa: E402
from config import ConfigError as _ConfigError  # noqa: E402
from config import check_config as _check_config  # noqa: E402
from config import load_config as _load_config  # noqa: E402

try:  # a wrong setting is named here, as the app would name it
    _settings = _load_config()
    _check_config(_settings)
except _ConfigError as _wrong:
    sys.exit(f"gunicorn.conf.py: {_wrong}")
_port = os.environ.get("PORT")
bind = f"0.0.0.0:{_port}" if _port else f"{_settings['API_HOST']}:{_settings['API_PORT']}"

# gevent, answering what gunicorn refuses itself with the JSON error envelope.
worker_class = "canvalo_app.serving.GeventWorker"
# Generation state (the event log resume reads, stop signals, the one-generation-per-
# conversation rule) is shared through Redis when REDIS_URL is set: then run WEB_CONCURRENCY
# workers, or one per core. Without Redis it lives in the worker's memory, so exactly one
# worker runs (it carries thousands of concurrent streams). `--workers` on the command line
# still wins.
if _settings["REDIS_URL"]:
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
# The request line and headers gunicorn reads before the app: past these it answers 414 or
# 431 itself (as the JSON envelope, see worker_class). The app's own body limit is
# MAX_REQUEST_BYTES.
limit_request_line = 8190  # bytes of "GET /path?query HTTP/1.1" (gunicorn's maximum)
limit_request_fields = 100  # header fields
limit_request_field_size = 8190  # bytes of one header field
# One access line per request, with the request id the app answered with and query
# secrets (?ticket=, ?access_token=) redacted, in LOG_FORMAT (json or text).
accesslog = "-"
logger_class = "canvalo_app.serving.AccessLogger"
errorlog = "-"
loglevel = _settings["LOG_LEVEL"].lower()
# Every log line to stdout, gunicorn's own included (by default its error log is stderr).
_stdout = {
    "class": "logging.StreamHandler",
    "formatter": _settings["LOG_FORMAT"],
    "filters": ["redact"],
    "stream": "ext://sys.stdout",
}
logconfig_dict = {
    "formatters": {
        "json": {"()": "canvalo_app.logformat.JsonFormatter"},
        "text": {"format": _TEXT_FORMAT},
    },
    "filters": {"redact": {"()": "canvalo_app.logformat.RedactingFilter"}},
    "handlers": {"console": _stdout, "error_console": _stdout},
    # Libraries' own loggers (redis, botocore, gevent) too: one format, on stdout.
    "root": {"level": loglevel.upper(), "handlers": ["console"]},
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

    _metrics_dir(server)
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


#: The metrics directory this master made, removed when it exits.
_made_metrics_dir = None


def _metrics_dir(server):
    """With several workers, each writes its metrics to files in one directory and a scrape
    answered by any of them sums them all (prometheus_client's multiprocess mode).

    METRICS_MULTIPROC_DIR chooses it; otherwise a temporary one is made, only when several
    workers run. It is put in PROMETHEUS_MULTIPROC_DIR here, before any worker imports the
    app (prometheus_client reads that when it is imported, and a worker inherits what the
    master imported), and the files of an earlier run are removed: their open-streams counts
    would never go down.
    """
    global _made_metrics_dir
    path = _settings["METRICS_MULTIPROC_DIR"]
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # even blank, it would turn files on
    if not path and server.cfg.workers < 2:
        return
    if "prometheus_client" in sys.modules:
        server.log.warning("prometheus_client was imported before the metrics directory was set")
    if not path:
        path = _made_metrics_dir = tempfile.mkdtemp(prefix="canvalo-metrics-")
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
    os.environ["METRICS_MULTIPROC_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"] = path


def child_exit(server, worker):
    """A worker that exits leaves the open-streams sum; its counts stay in the totals."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)


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
