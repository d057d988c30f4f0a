"""Condition endpoints. Routes parse input, call the repository or service, and return a schema."""

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response
from pydantic import StringConstraints

from app.conditions import repository, representations, service
from app.conditions.dependencies import (
    RECORD_FIELDS_PARAMETER,
    ConditionDep,
    FieldsQuery,
    SlugPath,
    current_version,
    record_include,
    summary_include,
)
from app.conditions.exports import export_response
from app.conditions.repository import ConditionFilters
from app.conditions.schemas import (
    SECTION_RESPONSE_MODELS,
    ConditionRecord,
    ConditionSummaryPage,
    SectionKindOut,
)
from app.conditions.status import DEFAULT_STATUS, StatusQuery
from app.core.conditional import served
from app.core.errors import InvalidParameter, UnknownSectionKind, problem_responses
from app.core.negotiation import (
    LIST_FORMATS,
    RECORD_FORMAT_PARAMETER,
    RECORD_FORMATS,
    Format,
    ListFormatQuery,
    format_responses,
    negotiate,
    record_format,
)
from app.core.openapi import merge_responses
from app.core.pagination import MAX_LIMIT, PageDep
from app.core.routing import api_router
from app.core.schemas import comma_separated
from app.core.urls import CONDITION_ROUTE
from app.models.base import SLUG_PATTERN
from app.models.kinds import (
    SECTION_INFO,
    SECTION_KINDS,
    CodeSystem,
    SectionKind,
)
from app.reads.dependencies import ReadsDep, reads_of
from app.reads.service import Reads

router = api_router("conditions")

# A batch read names at most one page of records, in a URL that proxies pass (about 8 KB).
MAX_BATCH_SLUGS = MAX_LIMIT
MAX_SLUGS_LENGTH = 2000
_SLUG = SLUG_PATTERN.removeprefix("^").removesuffix("$")
SLUGS_PATTERN = rf"^ *{_SLUG}( *, *{_SLUG}){{0,{MAX_BATCH_SLUGS - 1}}} *$"


# One or more HPO ids, comma-separated (any case).
InheritanceIds = Annotated[
    str, StringConstraints(pattern=r"^ *[Hh][Pp]:[0-9]{7}( *, *[Hh][Pp]:[0-9]{7})* *$")
]


async def condition_filters(
    reads: ReadsDep,
    status: StatusQuery = DEFAULT_STATUS,
    letter: Annotated[
        str | None,
        Query(
            pattern=r"^([a-zA-Z]|0-9)$",
            description="Only conditions whose slug starts with this letter (a-z, any case), "
            "or `0-9` for a digit.",
        ),
    ] = None,
    code_system: Annotated[
        CodeSystem | None, Query(description="Only conditions carrying a code of this system.")
    ] = None,
    has_section: Annotated[
        SectionKind | None, Query(description="Only conditions that have this section.")
    ] = None,
    inheritance: Annotated[
        list[InheritanceIds] | None,
        Query(
            description="Only conditions annotated with one of these modes of inheritance "
            "(HPO ids below HP:0000005, e.g. HP:0000007 Autosomal recessive inheritance), in "
            "the HPO annotations (aspect I, not NOT rows). Repeat the parameter or separate "
            "ids by commas; any of them matches. A term that is not a mode of inheritance is "
            "a 422 naming it.",
            examples=[["HP:0000007"]],
        ),
    ] = None,
    slug: Annotated[
        str | None,
        Query(
            max_length=MAX_SLUGS_LENGTH,
            pattern=SLUGS_PATTERN,
            description=f"Only these records: up to {MAX_BATCH_SLUGS} slugs, comma-separated, "
            f"at most {MAX_SLUGS_LENGTH} characters in all (a batch read; `limit=100` takes "
            "them in one page). The slugs no listed record has are named in `not_found`, with "
            "the slug a renamed record has now.",
            examples=["multifocal-motor-neuropathy,cystic-fibrosis"],
        ),
    ] = None,
) -> ConditionFilters:
    return ConditionFilters(
        status=status.value,
        letter=letter.lower() if letter else None,
        code_system=code_system.value if code_system else None,
        has_section=has_section.value if has_section else None,
        inheritance=await inheritance_modes(reads, inheritance or []),
        slugs=batch_slugs(slug),
    )


def batch_slugs(given: str | None) -> tuple[str, ...]:
    """The slugs of `slug=` (checked by its pattern), in the order given, repeats dropped."""
    if given is None:
        return ()
    return tuple(dict.fromkeys(comma_separated(given)))


async def inheritance_modes(reads: Reads, given: list[str]) -> tuple[str, ...]:
    """The HPO ids of `inheritance=`, checked to be modes of inheritance (one indexed look-up
    each, remembered by the reader)."""
    codes = list(dict.fromkeys(code.upper() for value in given for code in comma_separated(value)))
    wrong = [
        code for code in codes if not await reads.check(repository.IS_INHERITANCE_MODE, code=code)
    ]
    if wrong:
        raise InvalidParameter(
            f"Not a mode of inheritance (an HPO term below {repository.MODE_OF_INHERITANCE}): "
            f"{', '.join(wrong)}.",
            errors=[
                {
                    "loc": ["query", "inheritance"],
                    "msg": f"not a mode of inheritance: {code}",
                    "type": "value_error",
                }
                for code in wrong
            ],
        )
    return tuple(sorted(codes))


@router.get(
    "/conditions",
    response_model=ConditionSummaryPage,
    summary="List conditions",
    description=(
        "Summaries of conditions in slug order, a page at a time. Follow `links.next` and "
        "`links.prev` (opaque cursors, also in the `Link` header), or page with `offset`. "
        "`total` counts every match.\n\n"
        "As `text/csv` or `application/x-ndjson` (by `Accept` or `format=`) the list is an "
        "export: it streams every matching row from the start, or from an `after` cursor or "
        "`offset`, up to `limit` when one is given."
    ),
    responses=merge_responses(
        problem_responses(422, 503),
        format_responses(LIST_FORMATS),
    ),
)
async def list_conditions(
    request: Request,
    reads: ReadsDep,
    page: PageDep,
    filters: Annotated[ConditionFilters, Depends(condition_filters)],
    format_: ListFormatQuery = None,
    fields: FieldsQuery = None,
) -> Response:
    fmt = negotiate(request, LIST_FORMATS, format_)
    include = summary_include(fields)
    if fmt != Format.JSON:
        factory = reads.read.read_session_factory()
        return export_response(request, factory, filters, page, fmt, include, reads.policy)
    rendered = await representations.condition_list(reads, request, filters, page, include)
    return served(request, rendered, None, reads.policy)


@router.get(
    "/sections",
    response_model=list[SectionKindOut],
    summary="List section kinds",
    description="The fixed vocabulary of section kinds, in the order records present them.",
)
def list_section_kinds() -> list[SectionKindOut]:
    return service.section_kinds()


@router.get(
    CONDITION_ROUTE,
    response_model=ConditionRecord,
    summary="Get a condition's whole record",
    description=(
        "Every section, code and source of one condition, with its review dates and the "
        "disclaimer to show beside the content. Also as schema.org `MedicalCondition` "
        "JSON-LD (`Accept: application/ld+json` or `format=jsonld`)."
    ),
    responses=merge_responses(
        problem_responses(308, 404, 422, 503),
        format_responses(RECORD_FORMATS),
    ),
    openapi_extra={"parameters": [RECORD_FORMAT_PARAMETER, RECORD_FIELDS_PARAMETER]},
)
async def get_condition(slug: SlugPath, request: Request) -> Response:
    # format, fields and the app's readers are taken from the request, not declared: see
    # RECORD_FORMAT_PARAMETER for why, and openapi_extra above for their documentation.
    reads, fmt, include = reads_of(request), record_format(request), record_include(request)
    version = await current_version(request, slug)
    rendered, modified = await representations.record(reads, version, slug, fmt, include)
    return served(request, rendered, modified, reads.policy)


def _section_route(kind: SectionKind) -> None:
    info = SECTION_INFO[kind]

    async def get_section(slug: SlugPath, request: Request) -> Response:
        reads, fmt = reads_of(request), record_format(request)
        version = await current_version(request, slug)
        rendered, modified = await representations.section(reads, version, slug, kind, fmt)
        return served(request, rendered, modified, reads.policy)

    get_section.__name__ = f"get_{kind.value.replace('-', '_')}"
    router.add_api_route(
        f"{CONDITION_ROUTE}/{kind.value}",
        get_section,
        methods=["GET"],
        response_model=SECTION_RESPONSE_MODELS[kind],
        summary=f"Get a condition's {info.title.lower()}",
        description=f"{info.description} Items are `{info.item_type}` items. Also as schema.org "
        "JSON-LD (`Accept: application/ld+json` or `format=jsonld`).",
        responses=merge_responses(
            problem_responses(308, 404, 422, 503),
            format_responses(RECORD_FORMATS),
        ),
        openapi_extra={"parameters": [RECORD_FORMAT_PARAMETER]},
    )


for _info in SECTION_KINDS:
    _section_route(_info.kind)


@router.get(
    CONDITION_ROUTE + "/{section:unknown_section}",
    summary="Unknown section kind",
    description="Any other section name answers 404 with the list of valid kinds.",
    include_in_schema=False,
)
def unknown_section(
    condition: ConditionDep,
    section: Annotated[str, Path(max_length=200)],
) -> None:
    raise UnknownSectionKind.for_name(section)
