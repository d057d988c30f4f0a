"""The OpenAPI document, with response examples kept exactly as the routes declare them.

FastAPI encodes the document with exclude_none, which also strips null fields out of examples;
examples would then stop looking like real responses, so they are put back verbatim, found by
the route name that ends each operation id.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.errors import Problem

_EXAMPLES: dict[str, Any] = {}


def example_response(route_name: str, example: Any) -> dict[int | str, dict[str, Any]]:
    """A `responses=` entry documenting `example` as the 200 body of route `route_name`."""
    if not example:
        return {}
    _EXAMPLES[route_name] = example
    return {200: {"content": {"application/json": {"example": example}}}}


Responses = dict[int | str, dict[str, Any]]


def merge_responses(*entries: Responses) -> Responses:
    """One `responses=` mapping from several, merging the media types of a shared status."""
    merged: Responses = {}
    for entry in entries:
        for status, spec in entry.items():
            into = merged.setdefault(status, {})
            for key, value in spec.items():
                if key == "content":
                    into.setdefault("content", {}).update(value)
                else:
                    into[key] = value
    return merged


def _restore_examples(document: dict[str, Any]) -> None:
    for operations in document["paths"].values():
        for operation in operations.values():
            name = operation.get("operationId", "").split("-", 1)[-1]
            if name in _EXAMPLES:
                content = operation["responses"]["200"]["content"]["application/json"]
                content["example"] = _EXAMPLES[name]


def _add_problem_schema(document: dict[str, Any]) -> None:
    """Error responses refer to Problem by $ref only (so that problem+json is their one media
    type); the schema and the ones it uses go into the components here."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            _restore_examples(document)
            _add_problem_schema(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
