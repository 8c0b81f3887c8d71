"""The nine domain agents, one module each; `agents()` maps agent_type to `Agent`."""

from __future__ import annotations

import importlib
from functools import cache

from ..tools import Agent

#: The agent types, in the order the supervisor is told about them.
DOMAINS = (
    "invoices",
    "appointments",
    "projects",
    "proposals",
    "contacts",
    "reviews",
    "campaigns",
    "tasks",
    "settings",
)


@cache
def agents() -> dict[str, Agent]:
    return {name: importlib.import_module(f"{__name__}.{name}").agent for name in DOMAINS}
