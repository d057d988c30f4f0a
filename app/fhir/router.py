"""/fhir: a read-only FHIR R4 terminology facade (metadata, CodeSystem/$lookup,
ValueSet/$expand, ConceptMap/$translate), beside /v1 rather than under it, as FHIR clients
expect a server's base. Every error under /fhir is an OperationOutcome (app.fhir.errors)."""

from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from app.core.conditional import NOT_MODIFIED
from app.core.errors import InvalidParameter
from app.core.routing import api_router
from app.core.urls import FHIR_PREFIX
from app.fhir import equivalence, service
from app.fhir.errors import NOT_SERVED_METHODS, NOT_SERVED_PATHS, FHIRRoute, not_served
from app.fhir.negotiation import (
    FHIR_JSON,
    FHIRJSONResponse,
    FormatQuery,
    check_accept,
    check_body_type,
    fhir_response,
)
from app.fhir.schemas import (
    ExpandInputs,
    LookupInputs,
    TranslateInputs,
    body_inputs,
    outcome_responses,
    parameters_body,
    resource_schema,
)
from app.fhir.systems import SYSTEMS_HELD, HeldSystem, held_system
from app.reads.dependencies import CachePolicyDep, ReadsDep, reads_of
from app.reads.service import Reads
from app.search.snapshot import make_snapshot, snapshots_of

router = api_router("fhir", FHIR_PREFIX, FHIRRoute)
FhirBody = Depends(check_body_type)


def _base(request: Request) -> str:
    """This server's base URL, which our canonical URLs start with."""
    return str(request.base_url).rstrip("/")


def _held(uri: str, request: Request, name: str = "system") -> HeldSystem:
    held = held_system(uri, _base(request))
    if held is None:  # the inputs' pattern admits held systems only; should both ever differ
        raise InvalidParameter(
            f"{name} {SYSTEMS_HELD}.",
            errors=[{"loc": ["query", name], "msg": SYSTEMS_HELD, "type": "value_error"}],
        )
    return held


def _responses(resource_type: str, description: str, *errors: int) -> dict[int | str, Any]:
    return {
        200: {
            "description": description,
            "content": {FHIR_JSON: {"schema": resource_schema(resource_type, description)}},
        },
        **outcome_responses(*errors),
    }


@router.get(
    "/metadata",
    response_class=FHIRJSONResponse,
    summary="Capability statement",
    description="What this server is (FHIR 4.0.1, JSON, read only) and the operations it "
    "offers: CodeSystem/$lookup, ValueSet/$expand and ConceptMap/$translate.",
    responses={
        **_responses("CapabilityStatement", "A CapabilityStatement.", 400, 406),
        **NOT_MODIFIED,
    },
)
async def capabilities(
    request: Request, policy: CachePolicyDep, format_: FormatQuery = None
) -> Response:
    check_accept(request, format_)
    return fhir_response(request, service.capability_statement(_base(request)), policy)


LOOKUP_DESCRIPTION = """What the code system says of a code, as FHIR's $lookup answers it:
`name` (of the system), `version` (the release held, from the source's record), `display`,
each `designation` (ICD-10-CM inclusion terms, HPO synonyms, a record's synonyms), and the
properties `parent` and `child` (codes, each with its display as `description`), the HPO's
`definition`, and `attribution` (what the source asks users to show with its content);
`meta.source` is the source's URL. SNOMED CT and UMLS codes are held only as cross-references
of the records, without displays: their look-up is a 404, their translation works. An unknown
code is a 404, an unknown system a 400, both as OperationOutcome."""


async def _look_up(request: Request, reads: Reads, inputs: LookupInputs, cache: bool) -> Response:
    held = _held(inputs.system, request)
    version = await reads.content_version()
    found = await reads.read.build(service.look_up_on, held, inputs, version)
    return fhir_response(request, found, reads.policy if cache else None)


@router.get(
    "/CodeSystem/$lookup",
    response_class=FHIRJSONResponse,
    summary="Look up a code ($lookup)",
    description=LOOKUP_DESCRIPTION,
    responses={
        **_responses("Parameters", "The look-up's Parameters.", 400, 404, 406, 503),
        **NOT_MODIFIED,
    },
)
async def lookup_code(
    request: Request,
    reads: ReadsDep,
    inputs: Annotated[LookupInputs, Query()],
    format_: FormatQuery = None,
) -> Response:
    check_accept(request, format_)
    return await _look_up(request, reads, inputs, cache=True)


@router.post(
    "/CodeSystem/$lookup",
    response_class=FHIRJSONResponse,
    summary="Look up a code ($lookup, Parameters body)",
    description=LOOKUP_DESCRIPTION + " The inputs come as a Parameters resource, in any order.",
    responses=_responses("Parameters", "The look-up's Parameters.", 400, 404, 406, 415, 503),
    openapi_extra=parameters_body(LookupInputs, ["system", "code", "version"], "property"),
    dependencies=[FhirBody],
)
async def lookup_code_body(
    request: Request, reads: ReadsDep, format_: FormatQuery = None
) -> Response:
    check_accept(request, format_)
    return await _look_up(request, reads, await body_inputs(request, LookupInputs), cache=False)


@router.get(
    "/ValueSet/$expand",
    response_class=FHIRJSONResponse,
    summary="Expand the conditions value set ($expand)",
    description="The value set `{base}/fhir/ValueSet/conditions`: every published condition, "
    "coded in this server's own code system `{base}/fhir/CodeSystem/conditions` by its slug "
    "(every record has one; outside codes are missing for some and shared by others: "
    "$translate maps a slug to them), displayed by its name. Without `filter`, by name; with "
    "it, the conditions whose name or synonym it completes, as /v1/autocomplete ranks them. "
    "`total` counts them all; `count` (at most 100) and `offset` page them. The expansion's "
    "`version` parameter names the content version it was made from.",
    responses={
        **_responses("ValueSet", "The ValueSet with its expansion.", 400, 404, 406, 503),
        **NOT_MODIFIED,
    },
)
async def expand_value_set(
    request: Request, inputs: Annotated[ExpandInputs, Query()], format_: FormatQuery = None
) -> Response:
    check_accept(request, format_)
    # From the search snapshot held in memory: one version check, a rebuild only after changes.
    reads = reads_of(request)
    snapshot = await reads.snapshot(snapshots_of(request), make_snapshot)
    return fhir_response(request, service.expand(snapshot, _base(request), inputs), reads.policy)


TRANSLATE_DESCRIPTION = (
    "Codes of another system for a code, as FHIR's $translate answers it: `result`, a "
    "`message` saying through which record each match goes and who made each link, and each "
    "`match` (its `equivalence`, the `concept` coding, the concept map as `source`). A "
    "translation goes through the condition records: those carrying the source code (a slug "
    "of our own system: that record), then the target system's codes they carry (every held "
    "system's when `targetsystem` is not given). The equivalence comes from the two links' "
    "relation and provenance:\n\n" + (equivalence.__doc__ or "").split("\n\n", 1)[1]
)


async def _translate(
    request: Request, reads: Reads, inputs: TranslateInputs, cache: bool
) -> Response:
    base = _base(request)
    source = _held(inputs.system, request)
    target = _held(inputs.targetsystem, request, "targetsystem") if inputs.targetsystem else None
    found = await reads.read.build(service.translate_on, base, source, inputs, target)
    return fhir_response(request, found, reads.policy if cache else None)


@router.get(
    "/ConceptMap/$translate",
    response_class=FHIRJSONResponse,
    summary="Translate a code ($translate)",
    description=TRANSLATE_DESCRIPTION,
    responses={
        **_responses("Parameters", "The translation's Parameters.", 400, 404, 406, 503),
        **NOT_MODIFIED,
    },
)
async def translate_code(
    request: Request,
    reads: ReadsDep,
    inputs: Annotated[TranslateInputs, Query()],
    format_: FormatQuery = None,
) -> Response:
    check_accept(request, format_)
    return await _translate(request, reads, inputs, cache=True)


@router.post(
    "/ConceptMap/$translate",
    response_class=FHIRJSONResponse,
    summary="Translate a code ($translate, Parameters body)",
    description=TRANSLATE_DESCRIPTION
    + "\n\nThe inputs come as a Parameters resource, in any order.",
    responses=_responses("Parameters", "The translation's Parameters.", 400, 404, 406, 415, 503),
    openapi_extra=parameters_body(TranslateInputs, ["system", "code", "targetsystem"], None),
    dependencies=[FhirBody],
)
async def translate_code_body(
    request: Request, reads: ReadsDep, format_: FormatQuery = None
) -> Response:
    check_accept(request, format_)
    return await _translate(
        request, reads, await body_inputs(request, TranslateInputs), cache=False
    )


# Last: what no route above serves under /fhir is a 404 or 405 OperationOutcome too.
for path in NOT_SERVED_PATHS:
    router.add_api_route(
        path.removeprefix(FHIR_PREFIX),
        not_served,
        methods=NOT_SERVED_METHODS,
        include_in_schema=False,
    )
