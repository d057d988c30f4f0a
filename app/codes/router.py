"""Look-up by code: /v1/codes/{system}/{code}."""

from typing import Annotated

from fastapi import Path, Request, Response

from app.codes import service
from app.codes.schemas import MAX_BATCH_CODES, CodeBatchRequest, CodeBatchResponse, CodeLookup
from app.conditions.status import DEFAULT_STATUS, StatusQuery
from app.core.conditional import NOT_MODIFIED, json_representation
from app.core.errors import problem_responses
from app.core.routing import api_router
from app.models.kinds import CodeSystem
from app.reads.dependencies import CachePolicyDep, ReadSessionDep

router = api_router("codes")


@router.get(
    "/codes/{system}/{code}",
    response_model=CodeLookup,
    summary="Look up a code",
    description=(
        "What the code system says of a code (description, inclusion terms, parent chain and "
        "children, for ICD-10-CM and the HPO) and the conditions carrying it, each with the "
        "relation and whether an editor, a source or this service (name match) made the link. "
        "Codes are accepted as usually written: `G61.82` or `G6182`, `641` or `ORPHA:641`, "
        "`HP:0001324`; the system in any case (`ICD10CM`), answered in lowercase. Conditions "
        "with another `status` than published are listed on request only."
    ),
    responses={**problem_responses(404, 422, 503), **NOT_MODIFIED},
)
def get_code(
    request: Request,
    session: ReadSessionDep,
    policy: CachePolicyDep,
    system: CodeSystem,
    code: Annotated[
        str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9.:_-]+$", examples=["G61.82"])
    ],
    status: StatusQuery = DEFAULT_STATUS,
) -> Response:
    found = service.look_up(session, system, code, status.value)
    return json_representation(request, found, policy)


@router.post(
    "/codes/lookup",
    response_model=CodeBatchResponse,
    summary="Look up many codes",
    description=(
        f"Up to {MAX_BATCH_CODES} codes of any systems in one request, each answered as "
        "`GET /v1/codes/{system}/{code}` would list it (display, level and the conditions "
        "carrying it; its parents and children are at its `links.self`), in request order. A "
        "code nothing is known of is an item with `found: false` and a `detail`, not a 404; "
        "a malformed code or an unknown system makes the request a 422 naming the item."
    ),
    responses=problem_responses(413, 422, 503),
)
def look_up_codes(session: ReadSessionDep, body: CodeBatchRequest) -> CodeBatchResponse:
    return service.look_up_many(session, body)
