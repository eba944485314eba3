"""The HTTP API and web pages over the store (``storyline serve``): the application (``app``),
the bodies it reads and writes (``bodies``) and its ASGI middleware (``middleware``)."""

from .app import SERVE_ENV, app_from_env, create_app, serving_settings

__all__ = ["SERVE_ENV", "app_from_env", "create_app", "serving_settings"]
