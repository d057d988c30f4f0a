"""/v1/conditions/match: conditions ranked by a set of symptoms (HPO terms)."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from pydantic import ValidationError

from app.conditions.status import DEFAULT_STATUS, StatusQuery
from app.core.conditional import NOT_MODIFIED, json_representation
from app.core.deps import SessionDep
from app.core.errors import InvalidParameter, problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, offset_links, page_links
from app.core.routing import api_router
from app.core.schemas import PageLinks
from app.matching import service
from app.matching.schemas import MAX_TERMS, MatchRequest, MatchResponse
from app.reads.dependencies import CachePolicyDep

router = api_router("search")
# Room for MAX_TERMS short names, within what the server takes in one request line.
MAX_QUERY_LENGTH = 1000
DESCRIPTION = (
    "Conditions ranked by how much of the given terms' information content their HPO "
    "annotations cover: a condition annotated with a term, or with a more specific one, covers "
    "it; rare phenotypes weigh more. Each result lists which given term matched which "
    "annotation, with its frequency. **An exploration of annotated phenotypes, not a "
    "diagnosis** (see `disclaimer`). Symptoms are HPO ids, symptom slugs or names naming "
    "exactly one term (any case); an unknown or ambiguous one is a 422 naming its index. Pages "
    "with `limit` and `offset`."
)


@router.get(
    "/conditions/match",
    response_model=MatchResponse,
    summary="Rank conditions by symptoms",
    description=DESCRIPTION,
    responses={**problem_responses(422, 503), **NOT_MODIFIED},
)
def match_get(
    request: Request,
    session: SessionDep,
    policy: CachePolicyDep,
    symptoms: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description=f"Comma-separated HPO ids, symptom slugs or names, up to {MAX_TERMS}.",
            examples=["HP:0012078,seizure"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    status: StatusQuery = DEFAULT_STATUS,
) -> Response:
    keys = [key.strip() for key in symptoms.split(",") if key.strip()]
    try:
        body = MatchRequest(symptoms=keys, limit=limit, offset=offset, status=status)
    except ValidationError as exc:
        raise InvalidParameter(
            f"symptoms must be 1 to {MAX_TERMS} HPO ids, slugs or names, comma-separated.",
            errors=[
                {"loc": ["query", *error["loc"]], "msg": error["msg"], "type": error["type"]}
                for error in exc.errors()
            ],
        ) from exc

    def links(_: list[str], total: int) -> PageLinks:
        return page_links(request, *offset_links(offset, limit, total))

    result = service.match(session, body, "query", links)
    return json_representation(request, result, policy)


@router.post(
    "/conditions/match",
    response_model=MatchResponse,
    summary="Rank conditions by symptoms (JSON body)",
    description=DESCRIPTION + " Its links page as GET requests with the given terms' HPO ids.",
    responses=problem_responses(422, 503),
)
def match_post(request: Request, session: SessionDep, body: MatchRequest) -> MatchResponse:
    def links(codes: list[str], total: int) -> PageLinks:
        # The same query as a GET, so that the links can be followed.
        query = {"symptoms": ",".join(codes), "limit": body.limit, "offset": body.offset}
        if body.status != DEFAULT_STATUS:
            query["status"] = body.status.value
        url = request.url.replace(query=urlencode(query))
        as_get = Request({**request.scope, "method": "GET", "query_string": url.query.encode()})
        return page_links(as_get, *offset_links(body.offset, body.limit, total))

    return service.match(session, body, "body", links)
