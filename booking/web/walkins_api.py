"""Placeholder: filled in by the walk-in queue work (issue 6)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
