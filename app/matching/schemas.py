"""Schemas of ranking conditions by symptoms."""

from typing import Annotated

from pydantic import Field, StringConstraints

from app.conditions.schemas import PhenotypeFrequency, SelfLink
from app.conditions.status import DEFAULT_STATUS
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from app.core.schemas import InputSchema, PageLinks, Schema
from app.models.kinds import ConditionStatus

# An HPO id, a symptom term's slug, or its name (any case): see service._given_terms. A name
# holding a comma can be given in the JSON body only (the query's list is comma-separated).
SymptomKey = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
MAX_TERMS = 30
DISCLAIMER = (
    "A ranking of conditions by how well their annotated phenotypes (HPO annotations) cover "
    "the given terms, for exploring the data. It is not a diagnosis and does not weigh how "
    "common a condition is; a clinician must interpret any result."
)


class MatchRequest(InputSchema):
    symptoms: list[SymptomKey] = Field(
        min_length=1,
        max_length=MAX_TERMS,
        description="HPO ids, symptom slugs, or names that name exactly one term (any case).",
        examples=[["HP:0012078", "seizure"]],
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    status: ConditionStatus = DEFAULT_STATUS


class GivenTerm(Schema):
    hpo_id: str
    name: str
    information_content: float | None = Field(
        description="-ln(share of annotated conditions with this term or a more specific one)."
    )


class PhenotypeMatch(Schema):
    given: str = Field(description="The given term that matched.", examples=["HP:0003690"])
    hpo_id: str = Field(description="The condition's annotated term.")
    name: str
    relation: str = Field(description="same: the given term; more specific: a descendant of it.")
    frequency: PhenotypeFrequency | None
    disease: str = Field(description="The disease id of the annotation, e.g. ORPHA:641.")


class ConditionMatch(Schema):
    slug: str
    name: str
    status: str = Field(description="published, draft or retired.")
    score: float = Field(
        description="Share of the given terms' information content that the condition's "
        "annotations cover, 0 to 1."
    )
    matched: int = Field(description="How many of the given terms matched.")
    matches: list[PhenotypeMatch] = Field(description="For each matched given term, the best.")
    links: SelfLink


class MatchResponse(Schema):
    given: list[GivenTerm]
    items: list[ConditionMatch]
    total: int = Field(description="Conditions matching at least one given term.")
    limit: int
    offset: int
    links: PageLinks
    disclaimer: str = Field(default=DISCLAIMER)
