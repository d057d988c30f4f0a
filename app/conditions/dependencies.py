"""Path parameters turned into loaded objects, or a 404 that says what was missing."""

from typing import Annotated, NoReturn

from fastapi import Depends, Path, Query, Request
from starlette.convertors import StringConvertor, register_url_convertor

from app.conditions import repository
from app.conditions.repository import ConditionVersion
from app.conditions.schemas import ConditionRecord, ConditionSummary
from app.core.deps import SessionDep
from app.core.errors import ConditionNotFound, MovedPermanently
from app.core.fields import MAX_FIELDS_LENGTH, Include, fields_pattern, parse_fields
from app.core.negotiation import query_parameter
from app.models import Condition
from app.models.base import SLUG_PATTERN
from app.models.kinds import SectionKind
from app.reads.dependencies import reads_of

SlugPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=SLUG_PATTERN,
        description="The condition's slug: lowercase words joined by hyphens.",
        examples=["multifocal-motor-neuropathy"],
    ),
]


class SubResourceName(StringConvertor):
    """`{section:unknown_section}` in the catch-all routes of unknown section kinds: any name
    but the record's other sub-resources (document, revisions), which have routes of their
    own, so a wrong method on those is a 405 naming their methods, not an unknown kind."""

    regex = "(?!(?:document|revisions)$)[^/]+"


register_url_convertor("unknown_section", SubResourceName())


async def absent(request: Request, slug: str) -> NoReturn:
    """No record has `slug`: a 308 to its new slug when it was renamed, else a 404."""
    target = await reads_of(request).check(repository.REDIRECT_BY_SLUG, slug=slug)
    if target is not None:
        raise MovedPermanently.to(request, slug, target)
    raise ConditionNotFound.for_slug(slug)


async def current_version(request: Request, slug: str) -> ConditionVersion:
    """The version of the record with `slug` (what its cached reads are keyed by), through the
    reader's check; a renamed slug answers 308 and an unknown one 404."""
    # Straight to the reader (one await, not two): this runs on every record and section read.
    version = await reads_of(request).read.check(repository.VERSION_BY_SLUG, slug=slug)
    return version or await absent(request, slug)


async def current_slug(slug: SlugPath, request: Request) -> str:
    """The one slug dependency of the routes under /conditions/{slug}. (The hot read routes
    call current_version themselves: they need the version, and a dependency costs time.)"""
    await current_version(request, slug)
    return slug


CurrentSlug = Annotated[str, Depends(current_slug)]


def valid_condition(slug: CurrentSlug, session: SessionDep) -> Condition:
    condition = repository.get_condition(session, slug)
    if condition is None:  # renamed since the check
        raise ConditionNotFound.for_slug(slug)
    return condition


ConditionDep = Annotated[Condition, Depends(valid_condition)]


SECTION_FIELDS = {"sections": [kind.value for kind in SectionKind]}
FieldsQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_FIELDS_LENGTH,
        # Documented, not enforced by FastAPI: parse_fields answers a bad name with the list
        # of valid ones, which a bare pattern mismatch would not.
        json_schema_extra={"pattern": fields_pattern(ConditionSummary)},
        description="Comma-separated fields to include (sparse fieldset); `slug` is always "
        "included. Unknown names answer 422 with the valid ones. Records: e.g. "
        "`name,codes,sections.symptoms`; lists: e.g. `name,section_kinds`.",
    ),
]
RECORD_FIELDS_PARAMETER = query_parameter(
    "fields",
    {
        "type": "string",
        "maxLength": MAX_FIELDS_LENGTH,
        "pattern": fields_pattern(ConditionRecord, SECTION_FIELDS),
    },
    "Comma-separated fields to include (sparse fieldset); `slug` and `disclaimer` are always "
    "included. Unknown "
    "names answer 422 with the valid ones. E.g. `name,codes,sections.symptoms`.",
)


def record_include(request: Request) -> Include | None:
    """The `fields` of a record request, read from the query (see RECORD_FIELDS_PARAMETER)."""
    # The disclaimer goes with any part of a record, as the content may not be shown without it.
    return parse_fields(
        request.query_params.get("fields"),
        ConditionRecord,
        SECTION_FIELDS,
        always=("slug", "disclaimer"),
    )


def summary_include(fields: str | None) -> Include | None:
    return parse_fields(fields, ConditionSummary)
