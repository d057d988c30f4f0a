"""Schemas of ranking conditions by symptoms."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.conditions.schemas import PhenotypeFrequency
from app.conditions.status import DEFAULT_STATUS
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from app.core.schemas import InputSchema, PageLinks, Schema, SelfLink
from app.models.kinds import ConditionStatus

# An HPO id, a symptom term's slug, or its name (any case): see service._given_terms. A name
# holding a comma can be given in the JSON body only (the query's list is comma-separated).
SymptomKey = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
MAX_TERMS = 30
DISCLAIMER = (
    "A ranking of conditions by how well their annotated phenotypes (HPO annotations) explain "
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
    excluded: list[SymptomKey] = Field(
        default_factory=list,
        max_length=MAX_TERMS,
        description="Terms the person is known not to have, named the same way: a condition "
        "whose annotations show one loses points by how frequent the feature is in it.",
        examples=[["HP:0001257"]],
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
    given: str = Field(description="The given term that earned points.", examples=["HP:0003690"])
    hpo_id: str = Field(description="The condition's annotated term behind them.")
    name: str
    relation: Literal["same", "more specific", "broader", "related"] = Field(
        description="same: the given term is annotated; more specific: an annotation below "
        "it. Partial credit: broader, an annotation above it (the term `through`); related, "
        "an annotation beside it, sharing the broader term `through`."
    )
    through: str | None = Field(
        default=None,
        description="For partial credit: the broader term whose evidence the given term "
        "shares (HPO id).",
    )
    frequency: PhenotypeFrequency | None
    disease: str = Field(description="The disease id of the annotation, e.g. ORPHA:641.")
    points: float = Field(description="What this given term adds to the score.")


ConflictRelation = Literal["annotated absent", "given absent"]


class PhenotypeConflict(Schema):
    given: str = Field(description="The given term in conflict.")
    hpo_id: str = Field(description="The condition's annotated term.")
    name: str
    relation: ConflictRelation = Field(
        description="annotated absent: the condition is annotated NOT to have this term (the "
        "given one or a broader one); given absent: a term given as excluded that the "
        "condition's annotations show, at this frequency."
    )
    frequency: PhenotypeFrequency | None
    disease: str
    points: float = Field(description="What it takes off the score (negative).")


class ConditionMatch(Schema):
    slug: str
    name: str
    status: str = Field(description="published, draft or retired.")
    score: float = Field(
        description="The sum of the given terms' points: each a log likelihood ratio of the "
        "condition against a random annotated one, counted from the floor a term the "
        "condition does not explain gets; less what conflicts take off. Higher is better; "
        "only the order means something, not the number on its own."
    )
    matched: int = Field(description="How many of the given terms earned points.")
    coverage: float = Field(
        description="Share of the given terms' information content that the condition's "
        "annotations reach (the term or a more specific one), 0 to 1."
    )
    matches: list[PhenotypeMatch] = Field(description="For each given term that earned points.")
    conflicts: list[PhenotypeConflict] = Field(
        description="Given terms the condition is annotated not to have, and excluded terms "
        "it shows."
    )
    links: SelfLink


class MatchResponse(Schema):
    given: list[GivenTerm]
    excluded: list[GivenTerm] = Field(description="The terms given as absent.")
    items: list[ConditionMatch]
    total: int = Field(description="Conditions earning points for at least one given term.")
    limit: int
    offset: int
    links: PageLinks
    disclaimer: str = Field(default=DISCLAIMER)
