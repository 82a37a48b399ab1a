"""Every periodic job of the service is started from one list in the lifespan (booking/app.py):
a ``*_periodically`` function anywhere in booking/ that is not in it would never run, as the
closing-time sweep once did not."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from booking import app

BOOKING = Path(app.__file__).resolve().parent


def _periodic_functions() -> set[str]:
    found = set()
    for path in BOOKING.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name.endswith(
                "_periodically"
            ):
                found.add(node.name)
    return found


def _started() -> set[str]:
    source = inspect.getsource(app.periodic_jobs)
    return {
        node.attr if isinstance(node, ast.Attribute) else node.id
        for call in ast.walk(ast.parse(source))
        if isinstance(call, ast.Call)
        for node in (call.func,)
        if isinstance(node, ast.Attribute | ast.Name)
    }


def test_every_periodic_job_is_in_the_lifespans_list() -> None:
    periodic = _periodic_functions()
    assert {"anonymise_periodically", "forget_periodically", "close_periodically"} <= periodic
    missing = periodic - _started()
    assert not missing, f"not started from booking.app.periodic_jobs: {sorted(missing)}"


def test_the_lifespan_starts_the_list() -> None:
    source = inspect.getsource(app.create_app)
    assert "periodic_jobs(" in source
