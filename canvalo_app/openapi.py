"""The OpenAPI 3 document, built from the routes and the schemas their decorators record."""

from __future__ import annotations

import json
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields

from .errors import ERRORS
from .version import __version__


class ResponseSchema(Schema):
    """A response, or an SSE event: every field is always present (required in the
    document), unless its metadata says `optional`."""


#: The metadata of a response field that is sometimes left out.
OPTIONAL = {"optional": True}


class ErrorBodySchema(ResponseSchema):
    code = fields.String(metadata={"enum": sorted(ERRORS)})
    message = fields.String()
    user_message = fields.String(metadata={"description": "Text to show the user."})
    retryable = fields.Boolean()
    suggested_actions = fields.List(fields.String())
    details = fields.Dict()
    request_id = fields.String()


class ErrorSchema(ResponseSchema):
    error = fields.Nested(ErrorBodySchema)


#: A reconnecting client's last event id: only the events after it are sent.
LAST_EVENT_ID = {
    "in": "header",
    "name": "Last-Event-ID",
    "required": False,
    "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
    "description": "The id of the last event received; only later events are sent.",
}


#: A route's parameter, `<converter:name>` or `<name>`.
_PARAM = re.compile(r"<(?:([a-z]+):)?([a-z_]+)>")
_PATH_FORMATS = {"uuid": {"type": "string", "format": "uuid"}}


def _path_parameters(rule) -> list[dict]:
    return [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": _PATH_FORMATS.get(converter, {"type": "string"}),
        }
        for converter, name in _PARAM.findall(rule.rule)
    ]


#: The headers of a rate-limited call (the IETF RateLimit header fields draft).
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {"description": "Calls allowed per window.", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {
        "description": "Calls left in this window.",
        "schema": {"type": "integer"},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the window resets.",
        "schema": {"type": "integer"},
    },
}


def _operation(rule, view, spec: APISpec, plugin: MarshmallowPlugin) -> dict:
    doc = getattr(view, "openapi", {})
    summary, _, description = (view.__doc__ or rule.endpoint).strip().partition("\n")
    operation: dict = {"summary": summary, "tags": [rule.endpoint.split(".")[0]], "responses": {}}
    if description.strip():
        operation["description"] = " ".join(description.split())
    params = _path_parameters(rule)
    if "query" in doc:
        params += plugin.converter.schema2parameters(doc["query"], location="query")
    if "stream" in doc and doc["stream"]["last_event_id"]:
        params.append(LAST_EVENT_ID)
    if params:
        operation["parameters"] = params
    if "body" in doc:
        body_fields = doc["body"].fields.values()
        operation["requestBody"] = {
            "required": any(field.required for field in body_fields),
            "content": {"application/json": {"schema": doc["body"]}},
        }
    operation["responses"].update(_success(doc, spec))
    if "rate_limited" in doc:
        for answer in operation["responses"].values():
            answer["headers"] = {**answer.get("headers", {}), **RATE_LIMIT_HEADERS}
        operation["responses"]["429"] = {
            "description": f"Over the caller's {doc['rate_limited']}, or past the monthly "
            "token quota (QUOTA_EXCEEDED); see Retry-After",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}, **RATE_LIMIT_HEADERS},
            "content": {"application/json": {"schema": "Error"}},
        }
    operation["responses"]["default"] = {
        "description": "Error envelope",
        "content": {"application/json": {"schema": "Error"}},
    }
    scheme = doc.get("security", "bearerAuth" if rule.rule.startswith("/api/") else None)
    if scheme:
        operation["security"] = [{scheme: []}]
    return operation


def _success(doc: dict, spec: APISpec) -> dict:
    if "stream" in doc:
        stream = doc["stream"]
        answer = {
            "description": stream["description"],
            "content": {"text/event-stream": {"schema": _event_union(spec, stream)}},
        }
        if stream["headers"]:
            answer["headers"] = {
                name: {"schema": {"type": "string", "enum": [value]}}
                for name, value in stream["headers"].items()
            }
        return {"200": answer, **stream.get("other", {})}
    content = {"application/json": {"schema": doc["response"]}} if "response" in doc else {}
    if "media_type" in doc:  # text, instead of JSON (GET /metrics) or beside it (exports)
        content[doc["media_type"]] = {"schema": {"type": "string"}}
    answer = {"description": doc.get("description", "OK"), "content": content}
    return {str(doc.get("status", 200)): answer}


def _event_union(spec: APISpec, stream: dict) -> dict:
    """One component per event type and one for their union, discriminated on `type`."""
    name = stream["name"]
    if name not in spec.components.schemas:
        refs = {}
        for type_, schema in stream["events"].items():
            if schema.__name__ not in spec.components.schemas:
                spec.components.schema(schema.__name__, schema=schema)
            refs[type_] = f"#/components/schemas/{schema.__name__}"
        spec.components.schema(
            name,
            {
                "description": stream["union_description"],
                "oneOf": [{"$ref": ref} for ref in dict.fromkeys(refs.values())],
                "discriminator": {"propertyName": "type", "mapping": refs},
            },
        )
    return {"$ref": f"#/components/schemas/{name}"}


def _components_of(document: dict, plugin: MarshmallowPlugin):
    """Each component built from a marshmallow schema, with that schema's class."""
    schemas = document["components"]["schemas"]
    for key, name in plugin.converter.refs.items():  # a key is (schema class, modifiers…)
        if name in schemas:
            yield schemas[name], key[0]


def _mark_required(component: dict, schema: type[Schema]) -> None:
    """A response's fields are always there (bar the `optional` ones): all required, and
    no promise that later versions add none."""
    component.pop("additionalProperties", None)
    component["required"] = [
        field.data_key or name
        for name, field in schema().fields.items()
        if not field.metadata.get("optional") and not field.load_only
    ]


def _describe_defaults(component: dict) -> None:
    """A request field's default goes into its description: a generated client then keeps
    the field optional (openapi-typescript makes a field with a default required)."""
    for prop in component.get("properties", {}).values():
        default = prop.pop("default", None)
        if default is not None:
            notes = [prop.get("description"), f"Default: {json.dumps(default)}."]
            prop["description"] = " ".join(filter(None, notes))


def openapi_document(app: Flask) -> dict:
    """Describe every route of `app`; cached after the first build."""
    if "openapi" in app.extensions:
        return app.extensions["openapi"]
    plugin = MarshmallowPlugin()
    spec = APISpec("Canvalo chat API", __version__, "3.0.3", plugins=[plugin])
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.security_scheme(
        "metricsToken",
        {"type": "http", "scheme": "bearer", "description": "The service's METRICS_TOKEN."},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or rule.endpoint.startswith("pages."):
            continue  # pages for people, not the API
        view = app.view_functions[rule.endpoint]
        path = _PARAM.sub(r"{\2}", rule.rule)
        methods = sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
        spec.path(path=path, operations={m: _operation(rule, view, spec, plugin) for m in methods})
    document = spec.to_dict()
    for component, schema in _components_of(document, plugin):
        if issubclass(schema, ResponseSchema):
            _mark_required(component, schema)
        else:
            _describe_defaults(component)
    app.extensions["openapi"] = document
    return document
