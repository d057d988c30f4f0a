"""What a condition record looks like on the way in (seed files now, the write API later).

Sections are a mapping by kind; each kind's items are validated by that kind's item schema, so a
bad field is reported with its full path (`sections.symptoms.items[2].name`).
"""

from datetime import date
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    UrlConstraints,
    create_model,
    field_validator,
    model_validator,
)

from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.items import ITEM_TYPES, FactItem
from app.core.schemas import InputSchema, text_rules
from app.core.urls import RESERVED_SLUGS, condition_path
from app.models.base import SLUG_PATTERN
from app.models.kinds import (
    SECTION_KIND_VALUES,
    SECTION_KINDS,
    CodeRelation,
    CodeSystem,
    ConditionStatus,
    SectionKind,
)

Slug = Annotated[str, Field(min_length=1, max_length=200, pattern=SLUG_PATTERN)]
Key = Annotated[str, Field(min_length=1, max_length=100, pattern=SLUG_PATTERN)]


def _no_repeats(values: list[str]) -> list[str]:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return values


# Cited source keys, each at most once (the order is the order of display).
SourceKeys = Annotated[list[Key], AfterValidator(_no_repeats)]


class SourceIn(InputSchema):
    key: Key = Field(description="Stable identifier that records use to cite this source.")
    title: Annotated[str, Field(min_length=1, max_length=500)]
    publisher: Annotated[str | None, Field(max_length=300)] = None
    url: Annotated[HttpUrl, UrlConstraints(max_length=2000)] | None = None
    licence: Annotated[str, Field(min_length=1, max_length=5000)]
    version: Annotated[str | None, Field(max_length=100)] = None
    retrieved: date | None = None
    attribution: Annotated[str | None, Field(max_length=5000)] = Field(
        default=None, description="Acknowledgement the source's terms require users to show."
    )


def _code_patterns(schema: dict[str, Any]) -> None:
    """Each system's code pattern in the JSON schema too, so clients (and generated tests) see
    which codes a system takes: one alternative per system."""
    text_rules(schema)
    schema["anyOf"] = [
        {
            "properties": {
                "system": {"const": system.value},
                "code": {"pattern": f"^(?:{info.pattern.pattern})$"},
            }
        }
        for system, info in CODE_SYSTEMS.items()
    ]


class CodeIn(InputSchema):
    model_config = ConfigDict(json_schema_extra=_code_patterns)

    system: CodeSystem
    code: Annotated[str, Field(min_length=1, max_length=100)]
    display: Annotated[str | None, Field(max_length=500)] = None
    relation: CodeRelation = CodeRelation.EXACT

    @model_validator(mode="after")
    def _code_fits_system(self) -> Self:
        info = CODE_SYSTEMS[self.system]
        if not info.pattern.fullmatch(self.code):
            raise ValueError(
                f"{self.code!r} is not a valid {info.name} code "
                f"(expected the pattern {info.pattern.pattern})"
            )
        return self


class SectionIn(InputSchema):
    title: str | None = Field(
        default=None, max_length=300, description="Defaults to the kind's standard title."
    )
    summary: Annotated[str | None, Field(max_length=20_000)] = None
    items: list[FactItem] = Field(default_factory=list)
    sources: SourceKeys = Field(
        default_factory=list, description="Source keys; defaults to the condition's sources."
    )


def _section_model(kind: SectionKind, item_type: type[FactItem]) -> type[SectionIn]:
    name = "".join(part.capitalize() for part in kind.value.split("-")) + "SectionIn"
    return create_model(name, __base__=SectionIn, items=(list[item_type], []))  # type: ignore[valid-type]


# Each kind's section schema: a seed file's sections, and the body of a section PUT.
SECTION_INPUT_MODELS: dict[SectionKind, type[SectionIn]] = {
    info.kind: _section_model(info.kind, ITEM_TYPES[info.item_type]) for info in SECTION_KINDS
}

_SECTION_FIELDS: dict[str, Any] = {
    kind.value: (model | None, Field(default=None)) for kind, model in SECTION_INPUT_MODELS.items()
}

SectionsIn: type[BaseModel] = create_model("SectionsIn", __base__=InputSchema, **_SECTION_FIELDS)


class ConditionIn(InputSchema):
    slug: Slug
    name: Annotated[str, Field(min_length=1, max_length=500)]
    synonyms: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list
    )
    summary: Annotated[str, Field(min_length=1)]
    status: ConditionStatus = ConditionStatus.PUBLISHED
    last_reviewed: date | None = None
    review_due: date | None = None
    disclaimer: Annotated[str, Field(min_length=1)]
    codes: list[CodeIn] = Field(
        default_factory=list, description="Codes in public systems; each (system, code) once."
    )
    sources: SourceKeys = Field(min_length=1, description="Keys of the sources of this record.")
    sections: SectionsIn

    @field_validator("slug")
    @classmethod
    def _not_a_route(cls, slug: str) -> str:
        if slug in RESERVED_SLUGS:
            raise ValueError(
                f"{slug!r} is reserved: {condition_path(slug)} is a route of the API, so a "
                "record with this slug could never be read; choose another slug"
            )
        return slug

    @field_validator("sections", mode="before")
    @classmethod
    def _known_kinds(cls, value: object) -> object:
        if isinstance(value, dict):
            unknown = [key for key in value if key not in SectionKind._value2member_map_]
            if unknown:
                valid = ", ".join(SECTION_KIND_VALUES)
                raise ValueError(f"unknown section kind {unknown[0]!r}; valid kinds: {valid}")
        return value

    @field_validator("codes")
    @classmethod
    def _codes_once(cls, codes: list[CodeIn]) -> list[CodeIn]:
        seen: set[tuple[str, str]] = set()
        for code in codes:
            if (code.system, code.code) in seen:
                raise ValueError(f"code {code.system}:{code.code} is listed more than once")
            seen.add((code.system, code.code))
        return codes

    @model_validator(mode="after")
    def _review_dates_ordered(self) -> Self:
        if self.last_reviewed and self.review_due and self.review_due < self.last_reviewed:
            raise ValueError("review_due must not be before last_reviewed")
        return self

    def as_document(self) -> dict[str, Any]:
        """As JSON, with only the sections present (absent kinds are left out, not null)."""
        data = self.model_dump(mode="json")
        data["sections"] = {kind: s for kind, s in data["sections"].items() if s is not None}
        return data

    def section_items(self) -> dict[SectionKind, SectionIn]:
        """The sections present, in vocabulary order."""
        present: dict[SectionKind, SectionIn] = {}
        for info in SECTION_KINDS:
            section = getattr(self.sections, info.kind.value)
            if section is not None:
                present[info.kind] = section
        return present


class SeedFile(InputSchema):
    sources: list[SourceIn] = Field(default_factory=list)
    conditions: list[ConditionIn] = Field(default_factory=list)
