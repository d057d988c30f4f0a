"""Sparse fieldsets: `fields=name,codes,sections.symptoms` picks parts of a response, checked
against the response model so an unknown name is a clear 422, never silently ignored."""

import re
from typing import Any

from pydantic import BaseModel

from app.core.errors import InvalidParameter

# Pydantic's include= mapping: a field name to True (all of it) or to a nested mapping.
Include = dict[str, Any]
MAX_FIELDS_LENGTH = 1000


def _invalid(message: str, valid: list[str]) -> InvalidParameter:
    return InvalidParameter(
        f"Invalid fields: {message}. Valid fields: {', '.join(valid)}.",
        valid_fields=valid,
        errors=[{"loc": ["query", "fields"], "msg": message, "type": "fields_invalid"}],
    )


def valid_field_names(model: type[BaseModel], nested: dict[str, list[str]]) -> list[str]:
    """Top-level fields of `model`, and `parent.child` for the parents in `nested`."""
    names = list(model.model_fields)
    for parent, children in nested.items():
        names.extend(f"{parent}.{child}" for child in children)
    return names


def fields_pattern(model: type[BaseModel], nested: dict[str, list[str]] | None = None) -> str:
    """The regular expression of a valid `fields` value, for the OpenAPI document: clients and
    generated tests see the names the API accepts."""
    names = "|".join(re.escape(name) for name in valid_field_names(model, nested or {}))
    one = rf" *(?:{names}) *"
    return rf"^{one}(?:,{one})*$"


def parse_fields(
    value: str | None,
    model: type[BaseModel],
    nested: dict[str, list[str]] | None = None,
    always: tuple[str, ...] = ("slug",),
) -> Include | None:
    """The include= mapping for a `fields` parameter, or None when it is absent (everything).
    `always` fields identify the item and are kept whatever is asked."""
    if value is None:
        return None
    nested = nested or {}
    valid = valid_field_names(model, nested)
    if len(value) > MAX_FIELDS_LENGTH:
        raise _invalid(f"longer than {MAX_FIELDS_LENGTH} characters", valid)
    include: Include = {name: True for name in always}
    names = [name.strip() for name in value.split(",")]
    if not any(names):
        raise _invalid("no field named", valid)
    for name in names:
        parent, dot, child = name.partition(".")
        if parent not in model.model_fields or (
            dot and (parent not in nested or child not in nested[parent])
        ):
            raise _invalid(f"unknown field {name[:100]!r}", valid)
        if not dot:
            include[parent] = True
        elif include.get(parent) is not True:
            include.setdefault(parent, {})[child] = True
    return include


def page_include(include: Include | None) -> Include | None:
    """The include= mapping for a page whose items are shaped by `include`."""
    if include is None:
        return None
    return {
        "items": {"__all__": include},
        "total": True,
        "limit": True,
        "links": True,
        "not_found": True,  # a batch read's (absent on other pages)
    }
