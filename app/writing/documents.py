"""A record as editors write it (the seed files' schema), read back from the database; and
JSON Merge Patch (RFC 7396) applied to it."""

from typing import Annotated, Any

from pydantic import Field, create_model
from pydantic.fields import FieldInfo

from app.core.schemas import InputSchema
from app.models import Condition
from app.models.kinds import SECTION_INFO, CodeProvenance, SectionKind
from app.writing.schemas import SECTION_INPUT_MODELS, ConditionIn, SectionIn

IMPORTED_NOTE = (
    "Kept by the open-data imports, which add it to the record; not written by PUT or PATCH "
    "(ignored when sent back). Editors' codes supersede an imported code of the same system "
    "and code."
)


class ImportedCode(InputSchema):
    system: str = Field(examples=["orpha"])
    code: str = Field(examples=["586"])
    display: str | None = Field(default=None, examples=["Cystic fibrosis"])
    relation: str = Field(examples=["exact"])
    provenance: str = Field(description="`source` (the source's own id) or `computed`.")


class ImportedSummary(InputSchema):
    text: str = Field(description="The summary the record shows while editors give none.")
    kind: str = Field(
        description="`definition` (quoted from its source) or `computed` (composed by this "
        "service from the record's own facts).",
        examples=["computed"],
    )
    sources: list[dict[str, Any]] = Field(
        default_factory=list, description="What it quotes or draws on: [{title, version}]."
    )


class ImportedContent(InputSchema):
    """What imports keep on a record beside what editors write."""

    note: str = Field(default=IMPORTED_NOTE)
    codes: list[ImportedCode] = Field(
        default_factory=list, description="The codes imports gave the record."
    )
    annotation_count: int = Field(
        default=0,
        ge=0,
        description="Phenotype annotation rows of the HPO the record carries (its symptoms, "
        "causes, prognosis and diagnosis sections list them).",
    )
    section_kinds: list[str] = Field(
        default_factory=list,
        description="Sections the imports give the record items of (beside editors' items).",
        examples=[["causes", "symptoms", "prognosis"]],
    )
    consumer_names: list[str] = Field(
        default_factory=list, description="Lay names from the HPO's layperson synonyms."
    )
    summary: ImportedSummary | None = Field(
        default=None,
        description="The summary the imports derive; the record shows it only while editors' "
        "`summary` is null.",
    )


class ConditionWrite(ConditionIn):
    """A record as POST and PUT take it: the document, whose read-only `imported` part may be
    sent back as GET `/document` gave it and is ignored."""

    imported: ImportedContent | None = Field(
        default=None,
        exclude=True,
        description="Read-only: what imports keep on the record (see `/document`); ignored.",
        json_schema_extra={"readOnly": True},
    )


class ConditionDocument(ConditionWrite):
    """The record in the form PUT and PATCH take: its own fields, the codes editors gave it,
    its sources by key, and each section's title, summary, items and sources. What imports
    add (their codes, the phenotype annotations) is shown apart, read-only, in `imported`."""

    imported: ImportedContent | None = Field(
        default=None,
        description="Read-only: what imports keep on the record; null when they keep nothing "
        "(and in revisions, which hold what editors wrote).",
        json_schema_extra={"readOnly": True},
    )

    def as_document(self) -> dict[str, Any]:
        """What editors write: the record without the read-only `imported` part."""
        document = super().as_document()
        document.pop("imported", None)
        return document

    # Records built from open data alone have no summary and cite no source of their own;
    # a write must give both.
    summary: str | None = None  # type: ignore[assignment]
    sources: list[str] = Field(default_factory=list)


def document_of(condition: Condition) -> ConditionDocument:
    """`condition` must be loaded with its codes, sources and sections (as
    repository.get_condition_record loads it)."""
    record_sources = [source.key for source in condition.sources]
    sections: dict[str, Any] = {}
    for section in condition.sections:
        keys = [source.key for source in section.sources]
        standard_title = SECTION_INFO[SectionKind(section.kind)].title
        sections[section.kind] = {
            # Written as the kind's standard title when the section gave none.
            "title": None if section.title == standard_title else section.title,
            "summary": section.summary,
            "items": [
                {"name": item.name, "description": item.description, **item.attributes}
                for item in section.items
            ],
            # Written as the record's sources when the section named none.
            "sources": [] if keys == record_sources else keys,
        }
    return ConditionDocument.model_validate(
        {
            "slug": condition.slug,
            "name": condition.name,
            "synonyms": condition.synonyms,
            "summary": condition.summary,
            "status": condition.status,
            "last_reviewed": condition.last_reviewed,
            "review_due": condition.review_due,
            "disclaimer": condition.disclaimer,
            "codes": [
                {
                    "system": code.system,
                    "code": code.code,
                    "display": code.display,
                    "relation": code.relation,
                }
                for code in condition.codes
                if code.provenance == CodeProvenance.CURATED
            ],
            "sources": record_sources,
            "sections": sections,
            "imported": _imported(condition),
        }
    )


def _imported(condition: Condition) -> dict[str, Any] | None:
    codes = [
        {
            "system": code.system,
            "code": code.code,
            "display": code.display,
            "relation": code.relation,
            "provenance": code.provenance,
        }
        for code in condition.codes
        if code.provenance != CodeProvenance.CURATED
    ]
    summary = (
        {
            "text": condition.derived_summary,
            "kind": condition.derived_summary_kind,
            "sources": condition.derived_summary_sources or [],
        }
        if condition.derived_summary and condition.derived_summary_kind
        else None
    )
    kinds, names = condition.imported_kinds or [], condition.consumer_names or []
    if not (codes or condition.annotation_count or kinds or names or summary):
        return None
    return {
        "codes": codes,
        "annotation_count": condition.annotation_count,
        "section_kinds": kinds,
        "consumer_names": names,
        "summary": summary,
    }


def document_body(document: ConditionDocument) -> dict[str, Any]:
    """The document as GET `/document` answers it: the editable record and, apart, the
    read-only part imports keep."""
    imported = document.imported.model_dump(mode="json") if document.imported else None
    return {**document.as_document(), "imported": imported}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 §2: an object patch merges member by member, null removes a member, and any
    other value (arrays included) replaces the target whole."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def _patchable(field: FieldInfo, *, nullable: bool) -> tuple[Any, Any]:
    """A field of a merge patch: optional; null (remove it) only where the record may lack it."""
    annotation: Any = (
        Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    )
    if nullable:
        return annotation | None, Field(default=None, description=field.description)
    # Absent is allowed, null is not: no `default: null` in the schema either.
    return annotation, Field(
        default=None, description=field.description, json_schema_extra=_without_default
    )


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _section_patch(kind: SectionKind, model: type[SectionIn]) -> type[InputSchema]:
    name = "".join(part.capitalize() for part in kind.value.split("-")) + "SectionPatch"
    fields: dict[str, Any] = {
        n: _patchable(f, nullable=True) for n, f in model.model_fields.items()
    }
    return create_model(name, __base__=InputSchema, **fields)


_SECTION_PATCHES: dict[str, Any] = {
    kind.value: (_section_patch(kind, model) | None, Field(default=None))
    for kind, model in SECTION_INPUT_MODELS.items()
}
_SECTIONS_PATCH = create_model("SectionsPatch", __base__=InputSchema, **_SECTION_PATCHES)
# Members every record has: a patch may change them, never remove them (null).
_KEPT = {"slug", "name", "summary", "disclaimer", "sources", "sections"}

_PATCH_FIELDS: dict[str, Any] = {
    name: (
        (_SECTIONS_PATCH, Field(default=None))
        if name == "sections"
        else _patchable(field, nullable=name not in _KEPT)
    )
    for name, field in ConditionIn.model_fields.items()
}
ConditionPatch = create_model(
    "ConditionPatch",
    __base__=InputSchema,
    __doc__="A JSON Merge Patch (RFC 7396) of a record's document: members sent replace "
    "theirs, null removes an optional one (or a section), arrays are replaced whole.",
    **_PATCH_FIELDS,
)
