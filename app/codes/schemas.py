"""Response schemas of the codes domain."""

from pydantic import Field

from app.conditions.schemas import SourceOut
from app.core.schemas import Schema


class CodeLinks(Schema):
    self: str
    term: str | None = Field(default=None, description="For HPO codes: the symptom term.")


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
    relation: str = Field(description="How the condition relates to the code (see Code).")
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
    parents: list[CodeRefOut] = Field(description="The chain of ancestors, top down.")
    children: list[CodeRefOut]
    conditions: list[CodedCondition]
    source: SourceOut | None
    attributions: list[str]
    links: CodeLinks
