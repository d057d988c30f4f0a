"""Response schemas of the terms domain."""

from pydantic import Field

from app.conditions.schemas import PhenotypeFrequency, SourceOut, display_name_field
from app.core.schemas import Page, Schema, SelfLink


class TermLinks(Schema):
    self: str
    conditions: str


class TermSummary(Schema):
    kind: str = Field(examples=["symptom"])
    slug: str = Field(examples=["muscle-weakness"])
    name: str = Field(examples=["Muscle weakness"])
    display_name: str = display_name_field()
    code: str | None = Field(
        description="HPO id for symptoms from the HPO.", examples=["HP:0001324"]
    )
    links: TermLinks


class Synonym(Schema):
    name: str
    scope: str = Field(description="exact, broad, narrow or related, as the ontology says.")
    type: str | None = None


class TermConditionRecord(Schema):
    """The condition record built from the term or enriched by it (a common condition)."""

    slug: str = Field(examples=["asthma"])
    name: str = Field(examples=["Asthma"])
    links: SelfLink


class TermRecord(TermSummary):
    definition: str | None
    synonyms: list[Synonym]
    parents: list[TermSummary]
    children: list[TermSummary]
    source: SourceOut | None = Field(description="Where the term comes from (none: editors).")
    attributions: list[str]
    condition: TermConditionRecord | None = Field(
        default=None,
        description="The condition record built from this term or enriched by it, when the "
        "term names a common condition (see the record's `links.term`); null otherwise.",
    )


class TermMatch(Schema):
    """Why a condition is listed: the term (or a more specific one) in one of its parts."""

    code: str | None
    name: str
    via: str = Field(description="annotation (imported) or section (written by editors).")
    disease: str | None = Field(description="The disease id of an imported annotation.")
    section: str | None = Field(description="The section kind of an editor's item.")
    frequency: PhenotypeFrequency | None


class TermCondition(Schema):
    slug: str
    name: str
    display_name: str = display_name_field()
    status: str = Field(description="published, draft or retired.")
    links: SelfLink
    match_count: int = Field(description="How many of its parts list the term, in all.")
    matches: list[TermMatch] = Field(
        description="The matching parts: editors' items, and its first 10 matching annotations."
    )


class TermSummaryPage(Page[TermSummary]):
    """A page of TermSummary items."""


class TermConditionPage(Page[TermCondition]):
    """A page of TermCondition items."""
