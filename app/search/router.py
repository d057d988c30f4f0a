"""/v1/search and /v1/autocomplete."""

from typing import Annotated

from fastapi import Query, Request, Response

from app.core.conditional import NOT_MODIFIED, json_representation
from app.core.errors import problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from app.core.routing import api_router
from app.models.kinds import CodeSystem, SectionKind
from app.reads.dependencies import ReadsDep, reads_of
from app.search import service
from app.search.repository import SearchFilters
from app.search.schemas import AutocompleteResponse, SearchResponse
from app.search.snapshot import make_snapshot, snapshots_of

router = api_router("search")
TEXT = r"^[^\x00-\x1f\x7f]*\w[^\x00-\x1f\x7f]*$"  # printable, with at least one word character


@router.get(
    "/search",
    response_model=SearchResponse,
    summary="Search conditions",
    description=(
        "Conditions ranked by where the words match: name, then synonyms, then codes, then "
        "summary and section text (symptoms included). A code (`G61.82`, `ORPHA:641`, "
        "`HP:0012078`) finds the conditions carrying it. When nothing matches as typed, each "
        "unknown word is corrected to the nearest known one and `corrected_query` says so. "
        "Facets count all matches per source and per section."
    ),
    responses={**problem_responses(422, 503), **NOT_MODIFIED},
)
async def search(
    request: Request,
    reads: ReadsDep,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, pattern=TEXT, examples=["multifocal motor neuropathy"]),
    ],
    section: Annotated[SectionKind | None, Query(description="Only conditions with it.")] = None,
    source: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=r"^[a-z0-9-]+$",
            description="A source key, e.g. hpo-annotations (unknown keys: a 422 listing them).",
        ),
    ] = None,
    code_system: Annotated[
        CodeSystem | None, Query(description="Only conditions with a code of it.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    filters = SearchFilters(
        section=section.value if section else None,
        source=source,
        code_system=code_system.value if code_system else None,
    )
    # All of it in one hop to the thread pool, on one connection (a session dependency and a
    # sync route would take three hops, each a wait behind the other requests).
    version = await reads.content_version()  # remembered by the reader: no query, mostly
    result = await reads.read.build(
        service.search_on, snapshots_of(request), version, request, q, filters, limit, offset
    )
    return json_representation(request, result, reads.policy)


@router.get(
    "/autocomplete",
    response_model=AutocompleteResponse,
    summary="Complete a condition or symptom name",
    description=(
        "Condition names, then their synonyms, then symptom terms that start with `q` or have a "
        "later word starting with it (within each kind, those starting with it first, then the "
        "shortest); each typed by kind, with its link. Published conditions only."
    ),
    responses={**problem_responses(422, 503), **NOT_MODIFIED},
)
async def autocomplete(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100, pattern=TEXT, examples=["multif"])],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> Response:
    # Answered from memory: one version check, and a rebuild on the thread pool only when the
    # content changed (see Reads.snapshot).
    reads = reads_of(request)
    snapshot = await reads.snapshot(snapshots_of(request), make_snapshot)
    return json_representation(request, service.autocomplete(snapshot, q, limit), reads.policy)
