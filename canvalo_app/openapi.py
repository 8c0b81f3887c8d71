"""The OpenAPI 3 document, built from the routes and the schemas their decorators record."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields

from .errors import ERRORS
from .version import __version__


class ErrorBodySchema(Schema):
    code = fields.String(metadata={"enum": sorted(ERRORS)})
    message = fields.String()
    user_message = fields.String()
    retryable = fields.Boolean()
    suggested_actions = fields.List(fields.String())
    details = fields.Dict()
    request_id = fields.String()


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema)


_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _operation(rule, view, method: str, plugin: MarshmallowPlugin) -> dict:
    doc = getattr(view, "openapi", {})
    summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
    operation: dict = {"summary": summary, "tags": [rule.endpoint.split(".")[0]], "responses": {}}
    params = [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
        for name in _PARAM.findall(rule.rule)
    ]
    if "query" in doc:
        params += plugin.converter.schema2parameters(doc["query"], location="query")
    if params:
        operation["parameters"] = params
    if "body" in doc:
        body_fields = doc["body"].fields.values()
        operation["requestBody"] = {
            "required": any(field.required for field in body_fields),
            "content": {"application/json": {"schema": doc["body"]}},
        }
    if doc.get("stream"):
        operation["responses"]["200"] = {
            "description": doc["stream"],
            "content": {"text/event-stream": {}},
        }
    else:
        status = str(doc.get("status", 200))
        content = {"application/json": {"schema": doc["response"]}} if "response" in doc else {}
        operation["responses"][status] = {
            "description": doc.get("description", "OK"),
            "content": content,
        }
    if "rate_limited" in doc:
        operation["responses"]["429"] = {
            "description": f"Over the caller's {doc['rate_limited']}; see Retry-After",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": "Error"}},
        }
    operation["responses"]["default"] = {
        "description": "Error envelope",
        "content": {"application/json": {"schema": "Error"}},
    }
    if rule.rule.startswith("/api/"):
        operation["security"] = [{"bearerAuth": []}]
    return operation


def openapi_document(app: Flask) -> dict:
    """Describe every route of `app`; cached after the first build."""
    if "openapi" in app.extensions:
        return app.extensions["openapi"]
    plugin = MarshmallowPlugin()
    spec = APISpec("Canvalo chat API", __version__, "3.0.3", plugins=[plugin])
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        path = _PARAM.sub(r"{\1}", rule.rule)
        methods = sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
        spec.path(path=path, operations={m: _operation(rule, view, m, plugin) for m in methods})
    app.extensions["openapi"] = spec.to_dict()
    return app.extensions["openapi"]
