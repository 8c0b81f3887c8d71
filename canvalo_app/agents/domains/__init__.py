"""The nine domain agents, one module each; `agents()` maps agent_type to `Agent`."""

from __future__ import annotations

import importlib
from functools import cache

from ...llm.offline.rules import DOMAINS
from ..tools import Agent


@cache
def agents() -> dict[str, Agent]:
    return {name: importlib.import_module(f"{__name__}.{name}").agent for name in DOMAINS}
