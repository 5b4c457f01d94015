"""The routers take what they need from :mod:`tix.web.deps`, never from the app module."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import tix.web

ROUTERS = ("api.py", "portal.py", "webform.py")


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("router", ROUTERS)
def test_routers_import_nothing_from_the_app_module(router: str) -> None:
    modules = _imported_modules(Path(tix.web.__file__).parent / router)
    assert not {m for m in modules if m == "tix.web.app" or m.startswith("tix.web.app.")}
    assert "tix.web.deps" in modules


def _dependencies(dependant: Any) -> list[Any]:
    calls = []
    for sub in dependant.dependencies:
        calls.append(sub.call)
        calls.extend(_dependencies(sub))
    return calls


def test_the_routes_take_sessions_agents_visitors_and_tokens_from_deps() -> None:
    from tix.web import api, deps, portal, webform

    used = [
        call
        for router in (api.router, portal.router, webform.router)
        for route in router.routes
        if hasattr(route, "dependant")
        for call in _dependencies(route.dependant)
    ]
    assert used
    assert not [call for call in used if getattr(call, "__module__", "") == "tix.web.app"]
    assert {deps.session, deps.current_agent, deps.current_visitor} <= set(used)
    assert {deps.pre_login_form, deps.visitor_form} <= set(used)
