"""The ASGI entry point for servers: ``uvicorn --factory booking.asgi:create``."""

from starlette.applications import Starlette

from booking.app import create_app
from booking.settings import Settings


def create() -> Starlette:
    return create_app(Settings.from_env())
