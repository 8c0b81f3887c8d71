"""The service's version, as `/` and the OpenAPI document report it."""

__version__ = "0.1.0"
