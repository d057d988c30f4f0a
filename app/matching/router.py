"""/v1/conditions/match: conditions ranked by a set of symptoms (HPO terms)."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from pydantic import ValidationError

from app.conditions.status import DEFAULT_STATUS, StatusQuery
from app.core.conditional import NOT_MODIFIED, json_representation
from app.core.errors import InvalidParameter, problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, offset_links, page_links
from app.core.routing import api_router
from app.core.schemas import PageLinks, comma_separated
from app.matching import service
from app.matching.schemas import MAX_TERMS, MatchRequest, MatchResponse
from app.reads.dependencies import CachePolicyDep, ReadSessionDep

router = api_router("search")
# Room for MAX_TERMS short names, within what the server takes in one request line.
MAX_QUERY_LENGTH = 1000
DESCRIPTION = """Conditions ranked by how well their HPO annotations explain the given
terms. **An exploration of annotated phenotypes, not a diagnosis** (see `disclaimer`).

How the score adds up (a likelihood-ratio model, computed from the annotations at import):

- Someone with a condition shows each annotated feature at the annotation's frequency (the
  middle of an HPO frequency range, n of m, or a percentage; 50 % when none is given), and
  names it by its own term or by a broader one. A given term earns the condition
  `ln(0.01 + 0.99 x p(term | condition) / p(term | any annotated condition))`, counted from
  the floor of a term the condition does not explain (so a stray term costs nothing more and
  rules nothing out).
- Both directions: `p(term | condition)` is shared among all of the condition's annotations,
  so a condition with hundreds of annotations that the query does not touch ranks below one
  that the query explains; frequent features count more than occasional ones.
- A given term more general than an annotation ("Muscle weakness" for "Distal muscle
  weakness") earns what the broader term says for the condition: rare phenotypes weigh more.
  A given term more specific than, or beside, every annotation earns part of the evidence of
  a broader term at most two steps up (`relation: broader` when the annotation is that term,
  `related` when it shares it; `through` names it), scaled by the share of the given term's
  information content that term keeps, and halved.
- Conflicts take points off: a condition annotated NOT to have a given term (or a broader
  one) loses ln 10; a term given in `excluded` costs a condition that shows it
  `ln(1 - 0.99 x frequency)`.
- Ties: more given terms matched, then more matched by the annotated term itself, then the
  older record.

Each result lists, for every given term that earned points, the annotation behind them, how
it relates and the points; `conflicts` lists what took points off; points sum to `score`.
Symptoms are HPO ids, symptom slugs or names naming exactly one term (any case); an unknown
or ambiguous one is a 422 naming its field and index. Pages with `limit` and `offset`."""


@router.get(
    "/conditions/match",
    response_model=MatchResponse,
    summary="Rank conditions by symptoms",
    description=DESCRIPTION,
    responses={**problem_responses(422, 503), **NOT_MODIFIED},
)
def match_get(
    request: Request,
    session: ReadSessionDep,
    policy: CachePolicyDep,
    symptoms: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description=f"Comma-separated HPO ids, symptom slugs or names, up to {MAX_TERMS}.",
            examples=["HP:0012078,seizure"],
        ),
    ],
    excluded: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description=f"Comma-separated terms the person is known not to have, up to "
            f"{MAX_TERMS}, named the same way.",
            examples=["HP:0001257"],
        ),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    status: StatusQuery = DEFAULT_STATUS,
) -> Response:
    try:
        body = MatchRequest(
            symptoms=comma_separated(symptoms),
            excluded=comma_separated(excluded),
            limit=limit,
            offset=offset,
            status=status,
        )
    except ValidationError as exc:
        raise InvalidParameter(
            f"symptoms must be 1 to {MAX_TERMS} HPO ids, slugs or names, comma-separated "
            f"(excluded: up to {MAX_TERMS}).",
            errors=[
                {"loc": ["query", *error["loc"]], "msg": error["msg"], "type": error["type"]}
                for error in exc.errors()
            ],
        ) from exc

    def links(_: list[str], __: list[str], total: int) -> PageLinks:
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
def match_post(request: Request, session: ReadSessionDep, body: MatchRequest) -> MatchResponse:
    def links(codes: list[str], absent: list[str], total: int) -> PageLinks:
        # The same query as a GET, so that the links can be followed.
        query = {"symptoms": ",".join(codes), "limit": body.limit, "offset": body.offset}
        if absent:
            query["excluded"] = ",".join(absent)
        if body.status != DEFAULT_STATUS:
            query["status"] = body.status.value
        url = request.url.replace(query=urlencode(query))
        as_get = Request({**request.scope, "method": "GET", "query_string": url.query.encode()})
        return page_links(as_get, *offset_links(body.offset, body.limit, total))

    return service.match(session, body, "body", links)
