"""The write API (create, replace, patch, retire; sections) and each record's history.
Routes are thin: the checks are dependencies, the work is app.writing.edits."""

from typing import Annotated, Any

from fastapi import Body, Path, Query, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from app.auth.dependencies import WriterDep
from app.conditions import repository as conditions
from app.conditions.dependencies import CurrentSlug  # also registers {…:unknown_section}
from app.conditions.schemas import SECTION_RESPONSE_MODELS, ConditionRecord
from app.core.conditional import NOT_MODIFIED, CachePolicy, representation
from app.core.deps import SessionDep
from app.core.errors import (
    ConditionNotFound,
    RevisionNotFound,
    UnknownSectionKind,
    problem_responses,
)
from app.core.openapi import merge_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, offset_links, page_links
from app.core.routing import api_router
from app.core.urls import CONDITION_ROUTE, condition_path, section_path
from app.editing import repository
from app.editing.dependencies import MERGE_PATCH, IfMatchDep, JsonBody, MergePatchBody
from app.editing.schemas import RevisionLinks, RevisionOut, RevisionSummary, RevisionSummaryPage
from app.models import Condition, ConditionRevision
from app.models.kinds import SECTION_INFO, SECTION_KINDS, SectionKind
from app.writing import edits
from app.writing.documents import (
    ConditionDocument,
    ConditionPatch,
    ConditionWrite,
)
from app.writing.schemas import SECTION_INPUT_MODELS

router = api_router("editing")
# Editors read what they are about to change from the origin, never from a stale cache.
REVALIDATE = CachePolicy(max_age=0)
# 308: a renamed record's old slug; 400: an If-Match that is not entity tags, or a body the
# JSON parser gives up on (a number of thousands of digits).
WRITE_PROBLEMS = problem_responses(308, 400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 429, 503)
DELETE_PROBLEMS = problem_responses(308, 400, 401, 403, 404, 409, 412, 413, 422, 428, 429, 503)
READ_PROBLEMS = problem_responses(308, 404, 422, 503)
ETAG_HEADER = {
    "ETag": {
        "description": "The new ETag: send it in If-Match to write again.",
        "schema": {"type": "string"},
    }
}


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def _answer(written: edits.Written, status: int = 200, **headers: str) -> Response:
    return Response(
        written.rendered.body,
        status_code=status,
        media_type=written.rendered.media_type,
        headers={"ETag": written.rendered.etag, "Cache-Control": "no-store", **headers},
    )


@router.post(
    "/conditions",
    status_code=201,
    response_model=ConditionRecord,
    summary="Create a condition",
    description="Creates a record from the same schema as the seed files. Sources are cited "
    "by the key of a source the service has. Answers 201 with the record, its `Location` and "
    "its `ETag`; 409 if the slug is taken. Needs a key with the write scope.",
    responses=merge_responses(
        problem_responses(400, 401, 403, 409, 413, 415, 422, 429, 503),
        {
            201: {
                "headers": {
                    "Location": {
                        "description": "The new record's URL.",
                        "schema": {"type": "string"},
                    },
                    **ETAG_HEADER,
                }
            }
        },
    ),
)
def create_condition(
    request: Request, caller: WriterDep, _json: JsonBody, record: ConditionWrite
) -> Response:
    written = edits.create(_factory(request), record, caller)
    return _answer(written, 201, Location=condition_path(written.slug))


@router.put(
    CONDITION_ROUTE,
    response_model=ConditionRecord,
    summary="Replace a condition",
    description="Replaces the record with the one sent (the schema of `/document`). A new "
    "`slug` renames it; the old slug then redirects (308) to the new one. Needs `If-Match`.",
    responses=merge_responses(WRITE_PROBLEMS, {200: {"headers": ETAG_HEADER}}),
)
def replace_condition(
    request: Request,
    caller: WriterDep,
    tags: IfMatchDep,
    slug: CurrentSlug,
    _json: JsonBody,
    record: ConditionWrite,
) -> Response:
    return _answer(edits.replace(_factory(request), slug, record, tags, caller))


@router.patch(
    CONDITION_ROUTE,
    response_model=ConditionRecord,
    summary="Change part of a condition",
    description="A JSON Merge Patch (RFC 7396) of the record's `/document`: members sent "
    "replace those there, `null` removes one, arrays are replaced whole, and everything not "
    "named stays. The result is validated whole. Needs `If-Match`.",
    responses=merge_responses(WRITE_PROBLEMS, {200: {"headers": ETAG_HEADER}}),
)
def patch_condition(
    request: Request,
    caller: WriterDep,
    tags: IfMatchDep,
    slug: CurrentSlug,
    _json: MergePatchBody,
    body: Annotated[
        ConditionPatch,
        Body(
            media_type=MERGE_PATCH,
            examples=[{"review_due": "2027-06-01", "sections": {"prevention": None}}],
        ),
    ],
) -> Response:
    # Members the client sent, explicit nulls included: that is the merge patch.
    patch = body.model_dump(mode="json", exclude_unset=True)
    return _answer(edits.patch(_factory(request), slug, patch, tags, caller))


@router.delete(
    CONDITION_ROUTE,
    response_model=ConditionRecord,
    summary="Retire a condition",
    description="Soft delete: the record stays readable with status `retired` and its "
    "history, and leaves the default lists and search. Needs `If-Match`.",
    responses=merge_responses(WRITE_PROBLEMS, {200: {"headers": ETAG_HEADER}}),
)
def retire_condition(
    request: Request, caller: WriterDep, tags: IfMatchDep, slug: CurrentSlug
) -> Response:
    return _answer(edits.retire(_factory(request), slug, tags, caller))


@router.get(
    f"{CONDITION_ROUTE}/document",
    response_model=ConditionDocument,
    summary="Get a condition as editors write it",
    description="The record in the schema PUT takes and PATCH patches: its own fields, the "
    "codes editors gave it and its sources by key; what imports keep on it (their codes, the "
    "count of phenotype annotations) is shown apart in the read-only `imported`. Its `ETag` "
    "is accepted by `If-Match` as the record's.",
    responses=merge_responses(READ_PROBLEMS, NOT_MODIFIED),
)
def get_document(slug: CurrentSlug, request: Request, session: SessionDep) -> Response:
    condition = conditions.get_condition_record(session, slug)
    if condition is None:
        raise ConditionNotFound.for_slug(slug)
    rendered = edits.document_rendered(condition)
    return representation(
        request,
        rendered.body,
        media_type=rendered.media_type,
        policy=REVALIDATE,
        etag=rendered.etag,
        last_modified=condition.updated_at,
    )


def _condition(session: Session, slug: str) -> Condition:
    condition = conditions.get_condition(session, slug)
    if condition is None:
        raise ConditionNotFound.for_slug(slug)
    return condition


def _links(slug: str, number: int) -> RevisionLinks:
    return RevisionLinks(
        self=f"{condition_path(slug)}/revisions/{number}", condition=condition_path(slug)
    )


def _summary(slug: str, row: ConditionRevision) -> dict[str, Any]:
    return {
        "number": row.number,
        "action": row.action,
        "section": row.section,
        "author": row.author,
        "created_at": row.created_at,
        "links": _links(slug, row.number),
    }


@router.get(
    f"{CONDITION_ROUTE}/revisions",
    response_model=RevisionSummaryPage,
    summary="List a condition's revisions",
    description="Every write by an editor (over this API, or a seed file), newest first. "
    "Revision numbers an import raised have no entry: the change feed lists those.",
    responses=READ_PROBLEMS,
)
def list_revisions(
    slug: CurrentSlug,
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many.")] = 0,
) -> RevisionSummaryPage:
    condition = _condition(session, slug)
    total = repository.revision_count(session, condition.id)
    rows = repository.revisions(session, condition.id, limit, offset)
    next_params, prev_params = offset_links(offset, limit, total)
    return RevisionSummaryPage(
        items=[RevisionSummary.model_validate(_summary(condition.slug, row)) for row in rows],
        total=total,
        limit=limit,
        links=page_links(request, next_params, prev_params),
    )


@router.get(
    CONDITION_ROUTE + "/revisions/{number}",
    response_model=RevisionOut,
    summary="Get one revision",
    description="Who wrote it and when, what they sent, and the whole record after it.",
    responses=READ_PROBLEMS,
)
def get_revision(
    slug: CurrentSlug,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
) -> RevisionOut:
    condition = _condition(session, slug)
    row = repository.revision(session, condition.id, number)
    if row is None:
        raise RevisionNotFound(
            f"{condition.name} has no revision {number}; its history lists those it has.",
            slug=condition.slug,
            revision=number,
        )
    return RevisionOut.model_validate(
        {**_summary(condition.slug, row), "change": row.change, "document": row.document}
    )


def _section_routes(kind: SectionKind) -> None:
    info = SECTION_INFO[kind]
    body_model = SECTION_INPUT_MODELS[kind]
    name = kind.value.replace("-", "_")

    def put_section(
        request: Request,
        caller: WriterDep,
        tags: IfMatchDep,
        slug: CurrentSlug,  # after the checks of the request itself, as for the record
        _json: JsonBody,
        section: body_model,  # type: ignore[valid-type]
    ) -> Response:
        written = edits.put_section(_factory(request), slug, kind, section, tags, caller)
        if written.created:
            return _answer(written, 201, Location=section_path(written.slug, kind.value))
        return _answer(written)

    def delete_section(
        request: Request, caller: WriterDep, tags: IfMatchDep, slug: CurrentSlug
    ) -> Response:
        edits.delete_section(_factory(request), slug, kind, tags, caller)
        return Response(status_code=204, headers={"Cache-Control": "no-store"})

    put_section.__name__ = f"put_{name}"
    delete_section.__name__ = f"delete_{name}"
    path = f"{CONDITION_ROUTE}/{kind.value}"
    router.add_api_route(
        path,
        put_section,
        methods=["PUT"],
        response_model=SECTION_RESPONSE_MODELS[kind],
        summary=f"Write a condition's {info.title.lower()}",
        description=f"Replaces (or adds) the section; items are `{info.item_type}` items. "
        "Answers the section as GET serves it, 201 when it is new. Needs `If-Match`: the "
        "ETag of the record or of this section.",
        responses=merge_responses(
            WRITE_PROBLEMS,
            {
                200: {"headers": ETAG_HEADER},
                201: {
                    "model": SECTION_RESPONSE_MODELS[kind],
                    "description": "Created: the record had no such section.",
                    "headers": {
                        "Location": {
                            "description": "The section's URL.",
                            "schema": {"type": "string"},
                        },
                        **ETAG_HEADER,
                    },
                },
            },
        ),
    )
    router.add_api_route(
        path,
        delete_section,
        methods=["DELETE"],
        status_code=204,
        summary=f"Remove a condition's {info.title.lower()}",
        description="Removes the section editors wrote. Needs `If-Match`.",
        responses=DELETE_PROBLEMS,
    )


for _info in SECTION_KINDS:
    _section_routes(_info.kind)


@router.api_route(
    CONDITION_ROUTE + "/{section:unknown_section}",
    methods=["PUT", "DELETE"],
    include_in_schema=False,
)
def unknown_section_write(section: Annotated[str, Path(max_length=200)]) -> None:
    raise UnknownSectionKind.for_name(section)
