"""What the FHIR operations take (query parameters, or the same inputs in a Parameters body,
checked by the same models) and how the OpenAPI document describes what they answer."""

import json
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from fastapi import Request
from fhir.resources.R4B.parameters import Parameters
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.errors import InvalidParameter, problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_OFFSET
from app.fhir.negotiation import FHIR_JSON
from app.fhir.systems import SYSTEM_PATTERN, SYSTEMS_HELD
from app.search.router import TEXT

MAX_COUNT = 100
CODE_PATTERN = r"^[A-Za-z0-9.:_-]+$"  # as /v1/codes takes codes: slugs and CURIEs too
VERSION_PATTERN = r"^[A-Za-z0-9.:_/+-]+$"
PROPERTY_PATTERN = r"^[A-Za-z0-9._-]+$"
SYSTEM_DESCRIPTION = (
    "The code system's canonical URI: `http://hl7.org/fhir/sid/icd-10-cm`, "
    "`http://www.orpha.net`, `http://omim.org`, `http://purl.obolibrary.org/obo/hp.owl`, "
    "`http://purl.obolibrary.org/obo/mondo.owl`, `http://snomed.info/sct`, "
    "`http://www.nlm.nih.gov/research/umls`, or this server's own "
    "`{base}/fhir/CodeSystem/conditions` (codes: condition slugs). Any other is a 400."
)
System = Annotated[
    str,
    Field(
        max_length=500,
        pattern=SYSTEM_PATTERN,
        description=SYSTEM_DESCRIPTION,
        examples=["http://hl7.org/fhir/sid/icd-10-cm"],
    ),
]
Code = Annotated[
    str,
    Field(
        max_length=100,
        pattern=CODE_PATTERN,
        description="The code as FHIR writes it (`G61.82`, `641`, `HP:0001324`, "
        "`MONDO:0018979`); the forms /v1/codes takes are accepted too (`G6182`, `ORPHA:641`).",
        examples=["G61.82"],
    ),
]
Url = Annotated[str, Field(min_length=1, max_length=2000)]


class Inputs(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class LookupInputs(Inputs):
    system: System
    code: Code
    version: str | None = Field(
        default=None,
        max_length=100,
        pattern=VERSION_PATTERN,
        description="The release the code must be looked up in (as `version` answers it); "
        "another than the one held is a 404.",
        examples=["2026-04-01"],
    )
    properties: list[Annotated[str, Field(max_length=64, pattern=PROPERTY_PATTERN)]] = Field(
        default_factory=list,
        alias="property",
        max_length=20,
        description="Only these properties: `parent`, `child`, `definition`, `attribution`, and "
        "`designation` for the designations; none given, all of them. Others are ignored.",
    )


class TranslateInputs(Inputs):
    system: System
    code: Code
    targetsystem: System | None = Field(
        default=None,
        description="The system to translate to (same URIs as `system`); none given, every "
        "held system.",
    )
    url: Url | None = Field(
        default=None,
        description="The concept map: only this server's `{base}/fhir/ConceptMap/conditions` "
        "is held (others: 404).",
    )


class ExpandInputs(Inputs):
    url: Url = Field(
        description="The value set: `{base}/fhir/ValueSet/conditions`, every published "
        "condition (others: 404).",
        examples=["http://localhost:8000/fhir/ValueSet/conditions"],
    )
    filter: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=TEXT,
        description="Text the conditions must start with, or have a later word (or a synonym) "
        "start with, as /v1/autocomplete completes it.",
        examples=["multifocal"],
    )
    count: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_COUNT, description="Codes to return.")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Codes to skip.")


# Each input's value[x], as FHIR's definitions of $lookup and $translate type it.
VALUE_TYPES = {
    "system": "valueUri",
    "code": "valueCode",
    "version": "valueString",
    "property": "valueCode",
    "targetsystem": "valueUri",
    "url": "valueUri",
}
REPEATED = {"property"}
InputsT = TypeVar("InputsT", bound=Inputs)


def _invalid(loc: list[str | int], message: str, kind: str) -> InvalidParameter:
    return InvalidParameter(
        f"Invalid value for {'.'.join(map(str, loc))}.",
        errors=[{"loc": loc, "msg": message, "type": kind}],
    )


def _read(data: Any) -> Parameters:
    try:
        return Parameters.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameter(
            "The body is not a FHIR Parameters resource.",
            errors=[
                {"loc": ["body", *error["loc"]], "msg": error["msg"], "type": error["type"]}
                for error in exc.errors()
            ],
        ) from exc


def _given(
    parameters: Parameters, names: set[str]
) -> tuple[dict[str, Any], dict[tuple[str, int], list[str | int]]]:
    """Each input's value, from the value[x] the operation types it (`property` as often as
    wanted, the others once), and where each value was: {(input, occurrence): loc}."""
    values: dict[str, Any] = {}
    where: dict[tuple[str, int], list[str | int]] = {}
    for index, parameter in enumerate(parameters.parameter or []):
        name = str(parameter.name)
        value_type = VALUE_TYPES.get(name)
        loc: list[str | int] = ["body", "parameter", index]
        if name not in names or value_type is None:
            raise _invalid([*loc, "name"], f"{name!r} is not an input of this operation.", "enum")
        value = getattr(parameter, value_type)
        if value is None:
            raise _invalid(loc, f"{name} takes a {value_type}.", "missing")
        if name in REPEATED:
            values.setdefault(name, []).append(value)
        elif name in values:
            raise _invalid(loc, f"{name} is given more than once.", "duplicate")
        else:
            values[name] = value
        where[name, len(values[name]) - 1 if name in REPEATED else 0] = [*loc, value_type]
    return values, where


async def body_inputs(request: Request, model: type[InputsT]) -> InputsT:
    """The inputs of a Parameters body, checked as the query parameters are; each problem
    names the parameter it is in (Parameters.parameter[1].valueCode)."""
    try:
        data = json.loads(await request.body())
    except ValueError as exc:
        raise _invalid(["body"], "The body is not JSON (UTF-8 text).", "json_invalid") from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise _invalid(["body", "resourceType"], "The body must be a Parameters resource.", "enum")
    names = {field.alias or name for name, field in model.model_fields.items()}
    values, where = _given(_read(data), names)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            name, occurrence = str(error["loc"][0]), error["loc"][1:2]
            loc = where.get((name, int(occurrence[0]) if occurrence else 0), ["body", "parameter"])
            message = error["msg"]
            if error["type"] == "missing":
                message = f"A {name} parameter ({VALUE_TYPES[name]}) is required."
            elif error["type"] == "string_pattern_mismatch" and name.endswith("system"):
                message = f"{name} {SYSTEMS_HELD}"
            errors.append({"loc": loc, "msg": message, "type": error["type"]})
        raise InvalidParameter("Invalid Parameters body.", errors=errors) from exc


# -- The OpenAPI document's account of bodies. fhir.resources' own JSON schemas leave every
# nested element untyped and add keywords of their own; these say what a client relies on.


def resource_schema(resource_type: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}},
    }


OPERATION_OUTCOME_SCHEMA = {
    "type": "object",
    "description": "A FHIR R4 OperationOutcome: each issue's type (`code`: invalid, "
    "not-found, not-supported, transient...), what was wrong (`diagnostics`) and, for a bad "
    "parameter, which one (`expression`).",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string", "enum": ["fatal", "error", "warning"]},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def outcome_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries of OperationOutcome bodies for the given statuses, and for
    any other client error (which also keeps FastAPI from adding a 422 we never send); the
    middleware's refusals before routing (413) are problem+json."""
    outcome = {FHIR_JSON: {"schema": OPERATION_OUTCOME_SCHEMA}}
    return {
        **{
            status: {"description": HTTPStatus(status).phrase, "content": outcome}
            for status in statuses
        },
        "4XX": {
            "description": "Another client error",
            "content": {**outcome, **problem_responses(413)[413]["content"]},
        },
    }


def _input_schema(model: type[Inputs], name: str) -> dict[str, Any]:
    """A Parameters body's `parameter` entry for one input, its value as the query's."""
    properties = model.model_json_schema(by_alias=True)["properties"][name]
    value = {key: properties[key] for key in ("pattern", "maxLength") if key in properties}
    if "anyOf" in properties:  # an optional input: its string branch
        value = next(branch for branch in properties["anyOf"] if branch.get("type") == "string")
        value = {key: value[key] for key in ("pattern", "maxLength") if key in value}
    if name == "property":
        value = {k: v for k, v in properties["items"].items() if k in ("pattern", "maxLength")}
    return {
        "type": "object",
        "required": ["name", VALUE_TYPES[name]],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "enum": [name]},
            VALUE_TYPES[name]: {"type": "string", **value},
        },
    }


def parameters_body(model: type[Inputs], first: list[str], rest: str | None) -> dict[str, Any]:
    """An OpenAPI request body of a Parameters resource: the inputs `first` (the required ones,
    then at most one each of the optional), then `rest` repeated. The order is the
    document's only: the server takes the inputs in any order."""
    items: dict[str, Any] = {
        "type": "array",
        "minItems": len([name for name in first if model.model_fields[name].is_required()]),
        "prefixItems": [_input_schema(model, name) for name in first],
    }
    if rest is None:
        items["maxItems"] = len(first)
    else:
        items["items"] = _input_schema(model, rest)
        items["maxItems"] = len(first) + 20
    schema = {
        "type": "object",
        "description": "A FHIR R4 Parameters resource holding the inputs, as the query "
        "parameters name them (system as valueUri, code as valueCode...).",
        "required": ["resourceType", "parameter"],
        "additionalProperties": False,
        "properties": {
            "resourceType": {"type": "string", "enum": ["Parameters"]},
            "parameter": items,
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {FHIR_JSON: {"schema": schema}},
        }
    }
