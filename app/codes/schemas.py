"""Response schemas of the codes domain."""

from pydantic import Field

from app.conditions.schemas import SourceOut
from app.conditions.status import DEFAULT_STATUS
from app.core.schemas import InputSchema, Schema, SelfLink
from app.models.kinds import CodeSystem, ConditionStatus

# One request looks up this many codes at most: a page of a patient list, not the whole system.
MAX_BATCH_CODES = 500


class CodeLinks(Schema):
    self: str
    term: str | None = Field(default=None, description="For HPO codes: the symptom term.")
    conditions: str | None = Field(
        default=None,
        description="For HPO codes: every condition listing the term, paged "
        "(`/v1/symptoms/{id}/conditions`).",
    )


class CodeRefOut(Schema):
    code: str
    display: str
    level: str
    links: CodeLinks


class CodedCondition(Schema):
    slug: str
    name: str
    status: str = Field(description="published, draft or retired.")
    relation: str = Field(
        description="How the condition relates to the code (see Code); `annotated` for an HPO "
        "term its phenotypes list."
    )
    provenance: str = Field(description="curated, source or computed.")
    links: SelfLink


class CodeLookup(Schema):
    """A code, what its system says of it, and the conditions that carry it."""

    system: str = Field(examples=["icd10cm"])
    code: str = Field(examples=["G61.82"])
    curie: str = Field(examples=["ICD10CM:G61.82"])
    display: str | None = Field(examples=["Multifocal motor neuropathy"])
    level: str | None = Field(description="chapter, block, category, code, disease or term.")
    inclusion_terms: list[str]
    includes: list[str] = Field(
        default_factory=list,
        description='ICD-10-CM\'s "Includes" notes: further conditions the category covers.',
        examples=[["high blood pressure"]],
    )
    parents: list[CodeRefOut] = Field(description="The chain of ancestors, top down.")
    children: list[CodeRefOut]
    conditions: list[CodedCondition] = Field(
        description="The conditions carrying the code, surest links first, then by name; for "
        "an HPO term, the first of those listing it (all of them: links.conditions)."
    )
    conditions_total: int = Field(description="How many conditions carry the code, in all.")
    source: SourceOut | None
    attributions: list[str]
    links: CodeLinks


class CodeQuery(InputSchema):
    system: CodeSystem
    code: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9.:_-]+$",
        description="As usually written: `G61.82` or `G6182`, `641` or `ORPHA:641`.",
        examples=["G61.82"],
    )


class CodeBatchRequest(InputSchema):
    codes: list[CodeQuery] = Field(
        min_length=1,
        max_length=MAX_BATCH_CODES,
        description=f"1 to {MAX_BATCH_CODES} codes, answered in this order (repeats too).",
    )
    status: ConditionStatus = Field(
        default=DEFAULT_STATUS, description="The status of the conditions listed."
    )


class CodeBatchItem(Schema):
    """One code of a batch: found with its conditions, or not found (and why)."""

    system: str = Field(examples=["icd10cm"])
    code: str = Field(description="The code as normalised.", examples=["G61.82"])
    given: str = Field(description="The code as the request gave it.", examples=["G6182"])
    curie: str = Field(examples=["ICD10CM:G61.82"])
    found: bool = Field(description="false when neither the code system nor a condition knows it.")
    display: str | None
    level: str | None = Field(description="chapter, block, category, code, disease or term.")
    conditions: list[CodedCondition] = Field(
        description="As in the single look-up: the surest links first; for an HPO term, the "
        "first of those listing it."
    )
    conditions_total: int
    detail: str | None = Field(description="Why the code was not found; null when found.")
    links: CodeLinks


class CodeBatchResponse(Schema):
    items: list[CodeBatchItem] = Field(description="One per requested code, in request order.")
    found: int = Field(description="How many items were found.")
    not_found: int = Field(description="How many items were not found.")
