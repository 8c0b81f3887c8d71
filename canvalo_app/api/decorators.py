"""View decorators: load and validate input with a schema, shape output with another.

Each decorator also records what it did on the view (`view.openapi`), which is all the
OpenAPI document needs to describe the route.
"""

from __future__ import annotations

import json
import math
from functools import cache, wraps

from flask import current_app, g, make_response, request
from marshmallow import Schema

from ..errors import AppError, status_of
from ..extensions import rate_limiter


def _doc(view, **info):
    # functools.wraps has already copied the inner view's `openapi` onto this wrapper.
    view.openapi = {**getattr(view, "openapi", {}), **info}
    return view


#: Request bodies nest a few levels at most; deeper is refused before anything recurses.
MAX_JSON_DEPTH = 32


def json_body() -> dict:
    """The request's JSON object.

    400 when it is not strict JSON: malformed, NaN or Infinity, or nested deeper than
    `MAX_JSON_DEPTH`. 413 when a body sent without a length ran past MAX_CONTENT_LENGTH. 422
    when it is not an object, or when any string in it, key or value, holds a NUL or a lone
    surrogate (text no store keeps: PostgreSQL refuses NUL, UTF-8 has no surrogates).
    """
    data = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is None and len(data) >= limit:  # cut at the limit
        raise AppError("PAYLOAD_TOO_LARGE")
    if not data:
        return {}
    try:
        payload = _strict_json().decode(data.decode(json.detect_encoding(data), "surrogatepass"))
        unsafe = dict(_unsafe_text(payload, MAX_JSON_DEPTH, ""))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeError are ValueErrors
        raise AppError("BAD_REQUEST") from None
    if not isinstance(payload, dict):
        raise AppError(
            "VALIDATION_ERROR", details={"fields": {"_schema": ["Expected a JSON object."]}}
        )
    if unsafe:
        raise AppError("VALIDATION_ERROR", details={"fields": unsafe})
    return payload


@cache
def _strict_json() -> json.JSONDecoder:
    """One decoder for every request: no NaN or Infinity, no number too large for a float."""
    return json.JSONDecoder(parse_constant=_not_a_number, parse_float=_finite)


def _not_a_number(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400
        raise ValueError(f"{text} is out of range")
    return number


UNSAFE_TEXT = "Must not contain a NUL character or a lone surrogate."


def safe_text(text: str) -> bool:
    """Whether a store can keep `text`: no NUL, and valid Unicode (no lone surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unsafe_text(value, depth: int, path: str):
    """Yield (field path, message) for each string in `value` a store cannot keep; raise
    ValueError for nesting past `depth`."""
    if isinstance(value, str):
        if not safe_text(value):
            yield path or "_schema", [UNSAFE_TEXT]
        return
    if isinstance(value, dict):
        children = [(f"{path}.{key}" if path else key, key, item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}.{index}", None, item) for index, item in enumerate(value)]
    else:
        return
    if depth == 0:
        raise ValueError("nested too deeply")
    for child_path, key, item in children:
        if key is not None and not safe_text(key):
            yield _printable(child_path), ["Bad key. " + UNSAFE_TEXT]
            continue
        yield from _unsafe_text(item, depth - 1, child_path)


def _printable(path: str) -> str:
    return path.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")


def body(schema: Schema):
    """Validate the JSON body with `schema` and pass the result as `body=` (after auth).

    A `user_id` in the body is never trusted: one that is not the caller's is a 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            loaded = schema.load(json_body())
            claimed = loaded.pop("user_id", None)
            if claimed is not None and claimed != g.identity.user_id:
                raise AppError("FORBIDDEN")
            return view(*args, body=loaded, **kwargs)

        return _doc(wrapper, body=schema)

    return decorator


def query(schema: Schema):
    """Validate the query string with `schema` and pass the result as `query=`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            unsafe = {
                name: [UNSAFE_TEXT] for name in request.args if not safe_text(request.args[name])
            }
            if unsafe:
                raise AppError("VALIDATION_ERROR", details={"fields": unsafe})
            return view(*args, query=schema.load(request.args), **kwargs)

        return _doc(wrapper, query=schema)

    return decorator


def response(schema: Schema, status: int = 200, description: str = "OK"):
    """Serialise the view's return value with `schema`; a 404 if it returns None."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            found = view(*args, **kwargs)
            if found is None:  # gone meanwhile (deleted with its conversation, say)
                raise AppError("NOT_FOUND")
            return schema.dump(found), status

        return _doc(wrapper, response=schema, status=status, description=description)

    return decorator


def streams(
    description: str,
    events: dict,
    name: str = "StreamEvent",
    last_event_id: bool = True,
    headers: dict | None = None,
    other: dict | None = None,
):
    """Mark a view as answering with an SSE stream of `events` (type → schema class) for
    the OpenAPI document: the union of the events is the component `name`; `other`
    documents other successful answers (a 204, say)."""

    def decorator(view):
        return _doc(
            view,
            stream={
                "description": description,
                "events": events,
                "name": name,
                "union_description": f"The `data:` of one event: {', '.join(events)}.",
                "last_event_id": last_event_id,
                "headers": headers,
                "other": other or {},
            },
        )

    return decorator


def rate_limited(setting: str):
    """Count the call against the caller's limit named by config `setting` (after auth).

    The answer carries `RateLimit-Limit`, `-Remaining` and `-Reset` (see
    `rate_limit_headers`). A call the caller got wrong (any 4xx: bad input, a busy
    conversation, an unknown id, the quota) is given back; a 5xx is not, so a retry storm
    during an outage is still held to the limit.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            limit, key = current_app.config[setting], (request.endpoint, g.identity.user_id)
            g.rate_limit = rate_limiter().hit(limit, *key)
            try:
                answer = make_response(view(*args, **kwargs))
            except Exception as exc:
                if 400 <= status_of(exc) < 500:
                    g.rate_limit = rate_limiter().refund(limit, g.rate_limit, *key)
                raise
            if 400 <= answer.status_code < 500:
                g.rate_limit = rate_limiter().refund(limit, g.rate_limit, *key)
            return answer

        return _doc(wrapper, rate_limited=setting)

    return decorator


def rate_limit_headers(response):
    """After every request (errors included): the `RateLimit-*` headers of a counted call."""
    allowance = g.get("rate_limit")
    if allowance is not None:
        response.headers.update(allowance.headers())
    return response
