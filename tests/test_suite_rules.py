"""Rules the test suite keeps about itself: helpers shared through support modules, never by
importing one test module from another; and Hypothesis's deadline left to the profiles in
tests/conftest.py (none), so that a loaded machine cannot fail a property that holds."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MODULES = sorted(TESTS.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_module_imports_another() -> None:
    offending = {
        f"{path.relative_to(TESTS)}: {module}"
        for path in MODULES
        for module in imported_modules(path)
        if module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_")
    }
    assert not offending, "move the shared helpers into tests/support/:\n" + "\n".join(
        sorted(offending)
    )


def test_no_property_test_sets_its_own_deadline() -> None:
    offending = []
    for path in MODULES:
        if path.name == "conftest.py":
            continue  # the profiles themselves
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(k.arg == "deadline" for k in node.keywords):
                callee = node.func
                name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                if name == "settings":
                    offending.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not offending, "the profiles in tests/conftest.py decide the deadline: " + ", ".join(
        offending
    )
