"""Term endpoints: /v1/symptoms (the HPO vocabulary and editors' symptom terms) and /v1/drugs,
each with its reverse look-up of the conditions that list a term."""

from typing import Annotated

from fastapi import Path, Query, Request, Response

from app.conditions.status import DEFAULT_STATUS, StatusQuery
from app.core.conditional import NOT_MODIFIED, json_representation
from app.core.errors import NotFoundError, problem_responses
from app.core.negotiation import LIST_FORMATS, Format, ListFormatQuery, format_responses, negotiate
from app.core.openapi import merge_responses
from app.core.pagination import PageDep, set_link_header
from app.core.routing import api_router
from app.models import Term
from app.reads.dependencies import CachePolicyDep, ReadFactoryDep, ReadSessionDep
from app.terms import exports, repository, service
from app.terms.schemas import TermConditionPage, TermRecord, TermSummaryPage

router = api_router("terms")

TermKey = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^([a-z0-9]+(-[a-z0-9]+)*|[A-Za-z]+:[0-9]+)$",
        description="The term's slug, or its code such as HP:0001324.",
    ),
]


EXPORT_NOTE = (
    "As `text/csv` or `application/x-ndjson` (by `Accept` or `format=`) the list is an export "
    "of every match from `offset`, up to `limit` when one is given."
)
ONE_TERM_RESPONSES = {**problem_responses(404, 422, 503), **NOT_MODIFIED}
LIST_RESPONSES = merge_responses(problem_responses(422, 503), format_responses(LIST_FORMATS))


class TermNotFound(NotFoundError):
    problem = "term-not-found"
    title = "Term not found"


def _collection(kind: str, collection: str, noun: str) -> None:
    def load(session: ReadSessionDep, key: str) -> Term:
        term = repository.get_term(session, kind, key)
        if term is None:
            raise TermNotFound(f"No {noun} term has the slug or code {key!r}.", key=key)
        return term

    def list_terms(
        request: Request,
        factory: ReadFactoryDep,
        session: ReadSessionDep,
        policy: CachePolicyDep,
        page: PageDep,
        q: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                pattern=r"^[^\x00-\x1f\x7f]+$",
                description="Part of the name, or a code.",
            ),
        ] = None,
        format_: ListFormatQuery = None,
    ) -> Response:
        fmt = negotiate(request, LIST_FORMATS, format_)
        if fmt != Format.JSON:
            return exports.terms_export(request, factory, kind, q, page, fmt, policy)
        result = service.term_page(session, request, kind, q, page)
        response = json_representation(request, result, policy)
        set_link_header(response, result.links)
        return response

    def get_term(
        request: Request, session: ReadSessionDep, policy: CachePolicyDep, key: TermKey
    ) -> Response:
        term = service.term_record(session, load(session, key))
        return json_representation(request, term, policy)

    def list_term_conditions(
        request: Request,
        factory: ReadFactoryDep,
        session: ReadSessionDep,
        policy: CachePolicyDep,
        page: PageDep,
        key: TermKey,
        include_descendants: Annotated[
            bool, Query(description="Also count conditions listing a more specific term.")
        ] = False,
        status: StatusQuery = DEFAULT_STATUS,
        format_: ListFormatQuery = None,
    ) -> Response:
        fmt = negotiate(request, LIST_FORMATS, format_)
        term = load(session, key)
        if fmt != Format.JSON:
            return exports.term_conditions_export(
                request, factory, term, include_descendants, page, fmt, policy, status.value
            )
        result = service.conditions_page(
            session, request, term, include_descendants, page, status.value
        )
        response = json_representation(request, result, policy)
        set_link_header(response, result.links)
        return response

    # Operation ids read as list_symptoms, get_symptom, list_symptom_conditions...
    list_terms.__name__ = f"list_{collection}"
    get_term.__name__ = f"get_{kind}"
    list_term_conditions.__name__ = f"list_{kind}_conditions"
    router.add_api_route(
        f"/{collection}", list_terms, methods=["GET"], response_model=TermSummaryPage,
        summary=f"List {noun} terms", responses=LIST_RESPONSES,
        description=f"{noun.capitalize()} terms in slug order; `q` finds them by part of the "
        "name, a synonym or the code, ranked: the exact name (or code) first, then names "
        "starting with `q`, names with a later word starting with it, terms found by a "
        "synonym, the rest; shorter names first among equals, then by slug. Pages with `limit` "
        "and `offset`. " + EXPORT_NOTE,
    )  # fmt: skip
    router.add_api_route(
        f"/{collection}/{{key}}", get_term, methods=["GET"], response_model=TermRecord,
        summary=f"Get a {noun} term", responses=ONE_TERM_RESPONSES,
        description="The term with its definition, synonyms, parents and children (HPO terms "
        "verbatim from the release named in `source`).",
    )  # fmt: skip
    router.add_api_route(
        f"/{collection}/{{key}}/conditions", list_term_conditions, methods=["GET"],
        response_model=TermConditionPage, summary=f"Conditions that list a {noun}",
        responses=merge_responses(LIST_RESPONSES, problem_responses(404)),
        description="Conditions whose imported annotations (not NOT rows) or editors' sections "
        "list the term, with the frequency each gives. `include_descendants=true` also counts "
        "more specific terms. " + EXPORT_NOTE,
    )  # fmt: skip


_collection("symptom", "symptoms", "symptom")
_collection("drug", "drugs", "drug")
