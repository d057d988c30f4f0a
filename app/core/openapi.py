"""The OpenAPI document, with response examples kept exactly as the routes declare them.

FastAPI encodes the document with exclude_none, which also strips null fields out of examples;
examples would then stop looking like real responses, so they are put back verbatim, found by
the route name that ends each operation id.
"""

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.errors import Problem

_EXAMPLES: dict[str, Any] = {}
_SCHEMA_EXAMPLES: dict[str, list[Any]] = {}


def example_response(route_name: str, example: Any) -> dict[int | str, dict[str, Any]]:
    """A `responses=` entry documenting `example` as the 200 body of route `route_name`."""
    if not example:
        return {}
    _EXAMPLES[route_name] = example
    return {200: {"content": {"application/json": {"example": example}}}}


def register_examples(examples: dict[str, Any]) -> None:
    """200 examples by route name, for routes that do not declare theirs (see app.docs.examples)."""
    _EXAMPLES.update(examples)


def schema_examples(schema_name: str, examples: list[Any]) -> list[Any]:
    """`examples` for the component schema `schema_name`, kept verbatim in the document."""
    _SCHEMA_EXAMPLES[schema_name] = examples
    return copy.deepcopy(examples)


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
    schemas = document.get("components", {}).get("schemas", {})
    for schema_name, examples in _SCHEMA_EXAMPLES.items():
        if schema_name in schemas:
            schemas[schema_name]["examples"] = copy.deepcopy(examples)


def _add_problem_schema(document: dict[str, Any]) -> None:
    """Error responses refer to Problem by $ref only (so that problem+json is their one media
    type); the schema and the ones it uses go into the components here."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema


# Members a sparse fieldset keeps whatever `fields` names (app.conditions.dependencies).
_ALWAYS_KEPT = ("slug", "disclaimer")


def _partial(schemas: dict[str, Any], name: str) -> str:
    """A copy of schema `name` that requires only the members every sparse fieldset keeps."""
    partial = f"{name}Fields"
    if partial not in schemas:
        schema = copy.deepcopy(schemas[name])
        page = "items" in schema.get("properties", {})
        if not page:
            schema["required"] = [m for m in schema.get("required", []) if m in _ALWAYS_KEPT]
        schema["title"] = partial
        schema["description"] = (
            f"{name} as `fields` shapes it: the members named, and `slug` (and a record's "
            "`disclaimer`) always."
        )
        if page:  # a page whole, its items partial
            item = schema["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[1]
            schema["properties"]["items"]["items"]["$ref"] = (
                f"#/components/schemas/{_partial(schemas, item)}"
            )
        schemas[partial] = schema
    return partial


def _document_sparse_fieldsets(document: dict[str, Any]) -> None:
    """An operation that takes `fields` answers either its schema whole or a partial copy."""
    schemas = document["components"]["schemas"]
    for operations in document["paths"].values():
        for operation in operations.values():
            if not any(p["name"] == "fields" for p in operation.get("parameters", [])):
                continue
            content = operation["responses"]["200"]["content"]["application/json"]
            name = content["schema"]["$ref"].rsplit("/", 1)[1]
            content["schema"] = {
                "anyOf": [
                    {"$ref": f"#/components/schemas/{name}"},
                    {"$ref": f"#/components/schemas/{_partial(schemas, name)}"},
                ]
            }


# One or more entity tags (RFC 9110 §8.8.3), weak or strong; `*` is refused with 428.
_TAG = r'(?:W/)?"[\x21\x23-\x7e]*"'
_ENTITY_TAGS = rf"^ *{_TAG}(?: *, *{_TAG})* *$"


def _require_if_match(document: dict[str, Any]) -> None:
    """If-Match is read by a dependency that answers its absence with 428 (not FastAPI's 422),
    so it is declared optional there; the document says what clients must send."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "pattern": _ENTITY_TAGS}


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
            _document_sparse_fieldsets(document)
            _require_if_match(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
