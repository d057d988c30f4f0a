"""Response schemas of the codes domain."""

from pydantic import Field

from app.conditions.schemas import SourceOut
from app.core.schemas import Schema


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


class ConditionLinks(Schema):
    self: str


class CodedCondition(Schema):
    slug: str
    name: str
    status: str = Field(description="published, draft or retired.")
    relation: str = Field(
        description="How the condition relates to the code (see Code); `annotated` for an HPO "
        "term its phenotypes list."
    )
    provenance: str = Field(description="curated, source or computed.")
    links: ConditionLinks


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
