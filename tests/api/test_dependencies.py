"""The API's dependencies cost no thread hop of their own.

FastAPI runs a plain ``def`` dependency in the thread pool, one hop per dependency per
request; under load each hop waits for a pool thread and the interpreter lock. Dependencies
do no I/O of their own (blocking work runs in the endpoint's or the caller look-up's hop),
so every one of them must be a coroutine."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

import api.routers

# Every router module of the API, found rather than listed: a new one is checked too.
_ROUTERS = [
    importlib.import_module(f"api.routers.{m.name}")
    for m in pkgutil.iter_modules(api.routers.__path__)
]


def _is_async(call: object) -> bool:
    if inspect.isroutine(call):
        return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
    return inspect.iscoroutinefunction(type(call).__call__)  # HTTPBearer and the like


def _sync_dependencies(dependant: Dependant) -> set[str]:
    found: set[str] = set()
    for sub in dependant.dependencies:
        name = getattr(sub.call, "__qualname__", type(sub.call).__qualname__)
        if sub.call is not None and not _is_async(sub.call):
            found.add(f"{getattr(sub.call, '__module__', '?')}.{name}")
        found |= _sync_dependencies(sub)
    return found


def test_no_dependency_of_any_route_is_run_in_the_thread_pool() -> None:
    routes = [r for m in _ROUTERS for r in m.router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 38  # the whole API, portal pages included
    offenders = {
        f"{sorted(route.methods or ())[0]} {route.path}: {name}"
        for route in routes
        for name in _sync_dependencies(route.dependant)
    }
    assert not offenders, "plain-def dependencies (one thread hop each):\n" + "\n".join(
        sorted(offenders)
    )


def test_the_check_sees_a_plain_def_dependency() -> None:
    def plain() -> None: ...

    async def coroutine() -> None: ...

    assert not _is_async(plain)
    assert _is_async(coroutine)
