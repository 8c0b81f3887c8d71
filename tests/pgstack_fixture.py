"""A real PostgreSQL 15 + PostgREST 12 shaped like Supabase, one per test session.

Use it from a conftest or a test module::

    from tests.pgstack_fixture import pgstack  # noqa: F401

`pgstack` is a `Stack` (scripts/pgstack.py): ``rest_url``, ``db_url`` (superuser),
``jwt_secret``, ``anon_key``, ``service_key``, ``token_for(user_id)``, ``psql(sql)``, ``env()``.
If the stack cannot start, every test using it fails with the reason; it is never skipped.

supabase-py calls ``<SUPABASE_URL>/rest/v1/<table>`` while bare PostgREST serves ``/<table>``:
`rest_v1_client()` is an httpx client that drops the prefix, and `supabase_client()` builds a
real supabase-py client on it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

_PREFIX = b"/rest/v1"


def _load_pgstack():
    """scripts/pgstack.py as the module `pgstack` (scripts/ is not a package)."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "pgstack.py"
    loaded = sys.modules.get("pgstack")
    if loaded is not None and Path(loaded.__file__).resolve() == path:
        return loaded
    spec = importlib.util.spec_from_file_location("pgstack", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["pgstack"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


pgstack_module = _load_pgstack()
Stack = pgstack_module.Stack


@pytest.fixture(scope="session")
def pgstack() -> Iterator[Stack]:
    """PostgreSQL + PostgREST with the migrations applied, for the whole session."""
    try:
        stack = pgstack_module.start_stack(pgstack_module.DEFAULT_BASE_DIR)
    except pgstack_module.StackError as exc:
        stack, problem = None, str(exc)
    if stack is None:  # fail, never skip: CI must not pass without these tests
        pytest.fail(
            f"The PostgreSQL + PostgREST test stack could not start: {problem}", pytrace=False
        )
    try:
        yield stack
    finally:
        pgstack_module.stop_stack(stack)


def strip_rest_v1(url: httpx.URL) -> httpx.URL:
    raw = url.raw_path  # path and query, as sent
    if raw == _PREFIX or raw.startswith((_PREFIX + b"/", _PREFIX + b"?")):
        rest = raw[len(_PREFIX) :]
        return url.copy_with(raw_path=rest if rest.startswith(b"/") else b"/" + rest)
    return url


class RestV1Transport(httpx.BaseTransport):
    """Sends ``/rest/v1/<path>`` to ``/<path>``, as Supabase's API gateway does."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = strip_rest_v1(request.url)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class AsyncRestV1Transport(httpx.AsyncBaseTransport):
    """The asyncio twin of `RestV1Transport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = strip_rest_v1(request.url)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def rest_v1_client(**kwargs) -> httpx.Client:
    """An httpx client for supabase-py (``ClientOptions(httpx_client=...)``) against PostgREST."""
    return httpx.Client(transport=RestV1Transport(), **kwargs)


def supabase_client(stack: Stack, access_token: str | None = None):
    """A real supabase-py client on the stack, acting as `access_token`'s user (or anon)."""
    from supabase import ClientOptions, create_client

    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    options = ClientOptions(
        schema="api",
        headers=headers,
        httpx_client=rest_v1_client(),
        auto_refresh_token=False,
        persist_session=False,
    )
    return create_client(stack.rest_url, stack.anon_key, options=options)
