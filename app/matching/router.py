"""/v1/conditions/match: conditions ranked by a set of symptoms (HPO terms)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from app.core.conditional import NOT_MODIFIED, json_representation
from app.core.deps import CachePolicyDep, SessionDep
from app.core.errors import InvalidParameter, problem_responses
from app.matching import service
from app.matching.schemas import MAX_TERMS, MatchRequest, MatchResponse

router = APIRouter()
DESCRIPTION = (
    "Conditions ranked by how much of the given terms' information content their HPO "
    "annotations cover: a condition annotated with a term, or with a more specific one, covers "
    "it; rare phenotypes weigh more. Each result lists which given term matched which "
    "annotation, with its frequency. **An exploration of annotated phenotypes, not a "
    "diagnosis** (see `disclaimer`)."
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
            max_length=MAX_TERMS * 11,
            description=f"Comma-separated HPO ids, up to {MAX_TERMS}.",
            examples=["HP:0012078,HP:0003690"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    codes = [code.strip() for code in symptoms.split(",") if code.strip()]
    try:
        body = MatchRequest(symptoms=codes, limit=limit)
    except ValidationError as exc:
        raise InvalidParameter(
            f"symptoms must be 1 to {MAX_TERMS} HPO ids such as HP:0012078, comma-separated.",
            errors=[
                {"loc": ["query", *error["loc"]], "msg": error["msg"], "type": error["type"]}
                for error in exc.errors()
            ],
        ) from exc
    result = service.match(session, body.symptoms, body.limit, where="query")
    return json_representation(request, result, policy)


@router.post(
    "/conditions/match",
    response_model=MatchResponse,
    summary="Rank conditions by symptoms (JSON body)",
    description=DESCRIPTION,
    responses=problem_responses(422, 503),
)
def match_post(session: SessionDep, body: MatchRequest) -> MatchResponse:
    return service.match(session, body.symptoms, body.limit, where="body")
