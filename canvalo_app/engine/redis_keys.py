"""The generation engine's Redis keys, its scripts, and the small helpers every part of it
shares (engine/shared.py has the layout of the keys)."""

from __future__ import annotations

import logging

from ..errors import AppError
from ..sse import ServerSentEvent

log = logging.getLogger(__name__)

PREFIX = "canvalo:gen:"
WORKERS = PREFIX + "w"
CHANNEL = PREFIX + "stop"
PENDING = b"pending"
#: Ordinary commands fail after this long; a send then gets 503 at once.
SOCKET_TIMEOUT = 2.0
CONNECT_TIMEOUT = 1.0
#: A reader blocks at most this long per read (its heartbeat is usually shorter).
BLOCK_LIMIT = 30.0
READ_BATCH = 1000
#: How long the writer gathers events before it sends them to Redis in one pipeline: a few
#: milliseconds on each word buys far fewer round trips (see docs/benchmarks.md).
WRITE_WINDOW_SECONDS = 0.005
#: How often a copy of a send looks again for the generation the first copy starts.
CLAIM_POLL_SECONDS = 0.05

# Renew this worker's lease; return the workers whose lease has lapsed.
BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], now, ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
"""
# Renew the leases of a worker's conversations and claims.
RENEW = """
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 0
"""
# Add words to their generations' logs (KEYS: the logs; ARGV: entry id, type, frame for
# each); answer the positions of those refused (a log another worker has ended).
APPEND = """
local refused = {}
for i = 1, #KEYS do
  local added = redis.pcall('XADD', KEYS[i], ARGV[3*i-2], 't', ARGV[3*i-1], 'f', ARGV[3*i])
  if type(added) == 'table' and added.err then refused[#refused + 1] = i end
end
return refused
"""
# Take a lapsed worker's generations (only one taker wins); return their ids.
ADOPT = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {} end
local dead = ARGV[3] .. 'w:' .. ARGV[1]
local mine = ARGV[3] .. 'w:' .. ARGV[2]
local ids = redis.call('SMEMBERS', dead)
for _, id in ipairs(ids) do
  redis.call('SADD', mine, id)
  redis.call('HSET', ARGV[3] .. 'g:' .. id, 'owner', ARGV[2])
end
redis.call('DEL', dead)
return ids
"""
# Delete a key only while it holds the given value.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# A worker that stops with nothing running leaves the roll; otherwise its lease lapses.
LEAVE = """
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""


def generation_key(generation_id: str) -> str:
    return f"{PREFIX}g:{generation_id}"


def log_key(generation_id: str) -> str:
    return f"{PREFIX}g:{generation_id}:log"


def conversation_key(conversation_id: str) -> str:
    return f"{PREFIX}c:{conversation_id}"


def claim_key(user_id: str, client_message_id: str) -> str:
    return f"{PREFIX}m:{user_id}:{client_message_id}"


def worker_key(worker_id: str) -> str:
    return f"{PREFIX}w:{worker_id}"


def unavailable(error: Exception) -> AppError:
    log.warning("generation state unavailable: %s", error.__class__.__name__)
    return AppError("ENGINE_UNAVAILABLE")


def xadd(pipe, generation_id: str, event: ServerSentEvent) -> None:
    """Log an event under the entry id 0-{event id}, so ids read back as they were sent."""
    pipe.execute_command(
        "XADD", log_key(generation_id), f"0-{event.id}", "t", event.type, "f", event.frame
    )


def event_of(entry_id: bytes, fields: dict) -> ServerSentEvent:
    return ServerSentEvent(int(entry_id.split(b"-")[1]), fields[b"t"].decode(), frame=fields[b"f"])
