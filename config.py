"""Configuration: the only module that reads the environment.

`load_config()` reads the environment (and `.env` in development) once and returns a plain
dict that `create_app` puts into `app.config`. Production settings are checked before the app
starts, and a wrong one is named in the error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse as parse_rate_limit

ROOT = Path(__file__).resolve().parent
DEV_SECRET_DEFAULT = "canvalo-dev-secret-change-me-0123456789"


class ConfigError(RuntimeError):
    """A setting that makes the service unsafe or unable to start."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def _int(name: str, default: int) -> int:
    value = _env(name)
    try:
        return default if value is None else int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


def _float(name: str, default: float) -> float:
    value = _env(name)
    try:
        return default if value is None else float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {value!r}") from exc


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (_env(name, default) or "").split(",") if item.strip()]


class Config:
    """Defaults every environment shares; the subclasses change only what differs."""

    TESTING = False
    STORE = "sqlite"
    MODEL_PROVIDER = "offline"
    DEV_JWT_SECRET: str | None = DEV_SECRET_DEFAULT
    OFFLINE_TOKEN_DELAY = 0.03
    MODEL_TITLES = True
    SWEEP_INTERVAL_SECONDS = 300.0
    LOG_FORMAT = "text"


class DevelopmentConfig(Config):
    """`flask run` and `make run`: SQLite, the offline model, dev tokens, `.env` read."""


class TestingConfig(Config):
    """The test suite: no word delay, no background sweeper (tests sweep on purpose)."""

    TESTING = True
    OFFLINE_TOKEN_DELAY = 0.0
    #: A title call beside each first answer would take the scripted replies meant for the
    #: answer; the tests of titles turn it on.
    MODEL_TITLES = False
    SWEEP_INTERVAL_SECONDS = 0.0


class ProductionConfig(Config):
    """Supabase, Bedrock, JSON logs; dev tokens are off and must stay off."""

    STORE = "supabase"
    MODEL_PROVIDER = "bedrock"
    DEV_JWT_SECRET = None
    LOG_FORMAT = "json"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(env: str | None = None) -> dict:
    """Read every setting from the environment; see `.env.example` for each one's meaning.

    `env` overrides CANVALO_ENV (the app factory passes the one it was given, so tests never
    pick up a developer's `.env`).
    """
    env = env or _env("CANVALO_ENV", "development")
    if env == "development":
        from dotenv import load_dotenv

        load_dotenv(ROOT / ".env")
        env = _env("CANVALO_ENV", "development")
    if env not in CONFIGS:
        raise ConfigError(f"CANVALO_ENV must be development, testing or production, got {env!r}")
    defaults = CONFIGS[env]
    # With Redis the event log is the durable copy of a streaming answer, so the row is
    # rewritten less often (docs/benchmarks.md measures what that saves).
    flush_seconds = 10.0 if _env("REDIS_URL") else 1.0
    return {
        "ENV_NAME": env,
        "TESTING": defaults.TESTING,
        "API_HOST": _env("API_HOST", "127.0.0.1"),
        "API_PORT": _int("API_PORT", 5000),
        "CORS_ORIGINS": _list("CORS_ORIGINS", "http://localhost:3000,http://localhost:5173"),
        "STORE": _env("STORE", defaults.STORE),
        "SQLITE_PATH": _env("SQLITE_PATH", str(ROOT / "instance" / "canvalo.sqlite3")),
        "SUPABASE_URL": _env("SUPABASE_URL"),
        "SUPABASE_PUBLISHABLE_KEY": _env("SUPABASE_PUBLISHABLE_KEY"),
        "SUPABASE_SECRET_KEY": _env("SUPABASE_SECRET_KEY"),
        "SUPABASE_SCHEMA": _env("SUPABASE_SCHEMA", "api"),
        "SUPABASE_JWT_SECRET": _env("SUPABASE_JWT_SECRET"),
        "DATABASE_URL": _env("DATABASE_URL"),
        "JWT_AUDIENCE": _env("JWT_AUDIENCE", "authenticated"),
        "JWT_LEEWAY_SECONDS": min(_int("JWT_LEEWAY_SECONDS", 10), 30),
        "DEV_JWT_SECRET": _env("DEV_JWT_SECRET", defaults.DEV_JWT_SECRET),
        "MODEL_PROVIDER": _env("MODEL_PROVIDER", defaults.MODEL_PROVIDER),
        "ALLOW_OFFLINE_MODEL_IN_PRODUCTION": _bool("ALLOW_OFFLINE_MODEL_IN_PRODUCTION", False),
        "OFFLINE_TOKEN_DELAY": _float("OFFLINE_TOKEN_DELAY", defaults.OFFLINE_TOKEN_DELAY),
        "MODEL_TITLES": _bool("MODEL_TITLES", defaults.MODEL_TITLES),
        "AWS_REGION": _env("AWS_REGION", "us-east-1"),
        "AWS_PROFILE": _env("AWS_PROFILE"),
        "BEDROCK_MODEL_ID": _env("BEDROCK_MODEL_ID", "amazon.nova-lite-v1:0"),
        "BEDROCK_ENDPOINT_URL": _env("BEDROCK_ENDPOINT_URL"),
        "BEDROCK_READ_TIMEOUT": _float("BEDROCK_READ_TIMEOUT", 60.0),
        "OPENAI_BASE_URL": _env("OPENAI_BASE_URL"),
        "OPENAI_MODEL": _env("OPENAI_MODEL"),
        "OPENAI_API_KEY": _env("OPENAI_API_KEY"),
        "OPENAI_CONNECT_TIMEOUT": _float("OPENAI_CONNECT_TIMEOUT", 5.0),
        "OPENAI_READ_TIMEOUT": _float("OPENAI_READ_TIMEOUT", 60.0),
        "RETRY_ATTEMPTS": _int("RETRY_ATTEMPTS", 3),
        "RETRY_BASE_DELAY": _float("RETRY_BASE_DELAY", 1.0),
        "RETRY_MAX_DELAY": _float("RETRY_MAX_DELAY", 8.0),
        "REDIS_URL": _env("REDIS_URL"),
        "RESUME_TICKET_SECRET": _env("RESUME_TICKET_SECRET"),
        "RATE_LIMIT_CHAT": _env("RATE_LIMIT_CHAT", "10 per minute"),
        "USER_MONTHLY_TOKEN_QUOTA": _int("USER_MONTHLY_TOKEN_QUOTA", 0),
        "HEARTBEAT_SECONDS": _float("HEARTBEAT_SECONDS", 15.0),
        "TURN_DEADLINE_SECONDS": _float("TURN_DEADLINE_SECONDS", 120.0),
        "GENERATION_RETENTION_SECONDS": _float("GENERATION_RETENTION_SECONDS", 600.0),
        "CONTENT_FLUSH_SECONDS": _float("CONTENT_FLUSH_SECONDS", flush_seconds),
        "WORKER_RENEW_SECONDS": _float("WORKER_RENEW_SECONDS", 2.0),
        "WORKER_LEASE_SECONDS": _float("WORKER_LEASE_SECONDS", 10.0),
        "SWEEP_INTERVAL_SECONDS": _float("SWEEP_INTERVAL_SECONDS", defaults.SWEEP_INTERVAL_SECONDS),
        "MAX_MESSAGE_CHARS": _int("MAX_MESSAGE_CHARS", 10000),
        "MAX_CONTENT_LENGTH": _int("MAX_REQUEST_BYTES", 256 * 1024),
        "MAX_TOOL_CALLS": _int("MAX_TOOL_CALLS", 8),
        "MAX_MODEL_CALLS": _int("MAX_MODEL_CALLS", 12),
        "MAX_OUTPUT_TOKENS": _int("MAX_OUTPUT_TOKENS", 2048),
        "HISTORY_TOKEN_BUDGET": _int("HISTORY_TOKEN_BUDGET", 6000),
        "ACTION_TTL_SECONDS": _int("ACTION_TTL_SECONDS", 600),
        "LOG_LEVEL": (_env("LOG_LEVEL", "INFO") or "INFO").upper(),
        "LOG_FORMAT": _env("LOG_FORMAT", defaults.LOG_FORMAT).lower(),
        "METRICS_TOKEN": _env("METRICS_TOKEN"),
        "METRICS_MULTIPROC_DIR": _env("METRICS_MULTIPROC_DIR"),
    }


#: An exact origin, as browsers send it: scheme://host[:port], nothing flask-cors could
#: read as a pattern.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")


#: Settings that must be above zero, and those that may also be zero (0 turns them off or
#: makes them immediate).
POSITIVE = (
    "HEARTBEAT_SECONDS", "TURN_DEADLINE_SECONDS", "MAX_MESSAGE_CHARS", "MAX_TOOL_CALLS",
    "MAX_MODEL_CALLS", "MAX_OUTPUT_TOKENS", "HISTORY_TOKEN_BUDGET", "RETRY_ATTEMPTS",
    "BEDROCK_READ_TIMEOUT", "WORKER_RENEW_SECONDS", "WORKER_LEASE_SECONDS",
    "OPENAI_CONNECT_TIMEOUT", "OPENAI_READ_TIMEOUT",
)  # fmt: skip
NOT_NEGATIVE = (
    "OFFLINE_TOKEN_DELAY", "RETRY_BASE_DELAY", "RETRY_MAX_DELAY", "GENERATION_RETENTION_SECONDS",
    "CONTENT_FLUSH_SECONDS", "SWEEP_INTERVAL_SECONDS", "JWT_LEEWAY_SECONDS", "ACTION_TTL_SECONDS",
)  # fmt: skip
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MODEL_PROVIDERS = ("bedrock", "openai", "offline")


def check_config(config: dict) -> None:
    """Refuse unsafe or impossible settings, naming each one (production refuses more)."""
    problems = [f"{name} must be above 0" for name in POSITIVE if config[name] <= 0]
    problems += [f"{name} must not be negative" for name in NOT_NEGATIVE if config[name] < 0]
    if config["WORKER_LEASE_SECONDS"] < 2 * config["WORKER_RENEW_SECONDS"]:
        problems.append("WORKER_LEASE_SECONDS must be at least twice WORKER_RENEW_SECONDS")
    if config["LOG_LEVEL"] not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    if config["LOG_FORMAT"] not in ("json", "text"):
        problems.append("LOG_FORMAT must be json or text")
    if config["MODEL_PROVIDER"] not in MODEL_PROVIDERS:
        problems.append(f"MODEL_PROVIDER must be one of {', '.join(MODEL_PROVIDERS)}")
    if config["MODEL_PROVIDER"] == "openai":
        problems += _openai_problems(config)
    if config["METRICS_MULTIPROC_DIR"] and not Path(config["METRICS_MULTIPROC_DIR"]).is_dir():
        problems.append("METRICS_MULTIPROC_DIR must name an existing directory")
    inexact = [o for o in config["CORS_ORIGINS"] if o != "*" and not _ORIGIN.fullmatch(o)]
    if inexact:
        problems.append(
            "CORS_ORIGINS must list exact origins (scheme://host[:port]), not "
            + ", ".join(repr(origin) for origin in inexact)
        )
    try:
        parse_rate_limit(config["RATE_LIMIT_CHAT"])
    except ValueError:
        problems.append(
            f"RATE_LIMIT_CHAT must read like '10 per minute', not {config['RATE_LIMIT_CHAT']!r}"
        )
    if config["ENV_NAME"] == "production":
        problems += _production_problems(config)
    if problems:
        raise ConfigError("Refusing to start: " + "; ".join(problems))


def _openai_problems(config: dict) -> list[str]:
    """An OpenAI-compatible server needs its address and a model name; the key is optional
    (local servers take none). The URL is not echoed: it may carry credentials."""
    problems = []
    try:
        address = urlsplit(config.get("OPENAI_BASE_URL") or "")
        usable = address.scheme in ("http", "https") and bool(address.hostname)
        address.port  # noqa: B018  (raises on a port that is not a number up to 65535)
    except ValueError:
        usable = False
    if not usable:
        problems.append(
            "OPENAI_BASE_URL must be the server's http(s) URL, e.g. http://localhost:11434/v1 "
            "(required when MODEL_PROVIDER=openai)"
        )
    if not config.get("OPENAI_MODEL"):
        problems.append("OPENAI_MODEL is required when MODEL_PROVIDER=openai")
    return problems


def _production_problems(config: dict) -> list[str]:
    problems = []
    if config.get("DEV_JWT_SECRET"):
        problems.append(
            "DEV_JWT_SECRET must not be set in production (dev tokens would be accepted)"
        )
    if "*" in config["CORS_ORIGINS"]:
        problems.append("CORS_ORIGINS must list exact origins in production, not '*'")
    if config["MODEL_PROVIDER"] == "offline" and not config["ALLOW_OFFLINE_MODEL_IN_PRODUCTION"]:
        problems.append(
            "MODEL_PROVIDER=offline is a development model; set MODEL_PROVIDER=bedrock or "
            "openai (or ALLOW_OFFLINE_MODEL_IN_PRODUCTION=true to run it on purpose)"
        )
    if config["STORE"] == "supabase":
        # The secret key runs the sweep: without it, rows of a killed worker stay streaming.
        for name in ("SUPABASE_URL", "SUPABASE_PUBLISHABLE_KEY", "SUPABASE_SECRET_KEY"):
            if not config.get(name):
                problems.append(f"{name} is required when STORE=supabase")
    return problems
