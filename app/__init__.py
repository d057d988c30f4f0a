"""Condition Content API."""

from importlib.metadata import version

# pyproject.toml holds the one version number; the OpenAPI document and `GET /` report it.
__version__ = version("condition-content-api")
