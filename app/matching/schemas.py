"""Schemas of ranking conditions by symptoms."""

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from app.conditions.schemas import PhenotypeFrequency, SelfLink
from app.core.schemas import InputSchema, Schema

HpoId = Annotated[str, StringConstraints(pattern=r"^HP:[0-9]{7}$")]
MAX_TERMS = 30
DISCLAIMER = (
    "A ranking of conditions by how well their annotated phenotypes (HPO annotations) cover "
    "the given terms, for exploring the data. It is not a diagnosis and does not weigh how "
    "common a condition is; a clinician must interpret any result."
)


class MatchRequest(InputSchema):
    symptoms: list[HpoId] = Field(
        min_length=1, max_length=MAX_TERMS, examples=[["HP:0012078", "HP:0003690"]]
    )
    limit: int = Field(default=10, ge=1, le=50)

    @field_validator("symptoms", mode="before")
    @classmethod
    def _uppercase(cls, value: object) -> object:
        if isinstance(value, list):
            return [item.strip().upper() if isinstance(item, str) else item for item in value]
        return value


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
    disclaimer: str = Field(default=DISCLAIMER)
