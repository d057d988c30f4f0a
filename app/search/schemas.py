"""Response schemas of search and autocomplete."""

from typing import Literal

from pydantic import Field

from app.conditions.schemas import (
    CodeSource,
    SummarySource,
    summary_field,
    summary_source_field,
    summary_sources_field,
)
from app.core.schemas import PageLinks, Schema, SelfLink

SearchField = Literal["name", "synonyms", "codes", "summary", "sections"]


class SearchHit(Schema):
    slug: str
    name: str
    status: str = Field(description="Always published: search leaves other records out.")
    summary: str | None = summary_field()
    summary_source: SummarySource | None = summary_source_field()
    summary_sources: list[CodeSource] = summary_sources_field()
    score: float = Field(
        description="Text relevance (bm25 on SQLite, ts_rank_cd on PostgreSQL); higher is "
        "better, comparable within one response. Items come whole-name matches first (see "
        "name_match, the shortest name first), then by score."
    )
    name_match: Literal["exact", "synonym", "prefix"] | None = Field(
        description="exact: the query is the name; synonym: it is one of the synonyms; prefix: "
        "the name starts with it."
    )
    matched_fields: list[SearchField] = Field(
        description="Where the query matched, best-weighted first: name > synonyms > codes > "
        "summary > sections."
    )
    snippet: str | None = Field(
        description="A short passage around the match, the matched words in <mark>…</mark>."
    )
    links: SelfLink


class SearchFacets(Schema):
    source: dict[str, int] = Field(description="Matching conditions per source key.")
    section: dict[str, int] = Field(description="Matching conditions per section kind.")


class SearchResponse(Schema):
    query: str = Field(description="The query as given.")
    searched_for: str = Field(description="What was searched: the query, or its correction.")
    match: Literal["code", "code_name", "text", "corrected", "none"] = Field(
        description="code: the query is a code and these conditions carry it; code_name: no "
        "condition carries it, these match what its code system calls it (`searched_for`); "
        "text: full-text matches; corrected: nothing matched as typed, these match "
        "`corrected_query`; none."
    )
    corrected_query: str | None = Field(
        description="The query with each unknown word replaced by the nearest known one, when "
        "the query as typed matched nothing."
    )
    did_you_mean: str | None = Field(description="The same, phrased for a search box.")
    items: list[SearchHit]
    total: int
    limit: int
    offset: int
    facets: SearchFacets
    links: PageLinks


class Suggestion(Schema):
    label: str = Field(description="The text to show and to complete to.")
    kind: Literal["condition", "synonym", "symptom"]
    slug: str = Field(description="The condition's slug, or the symptom term's.")
    summary: str | None = Field(
        default=None,
        description="The condition's summary, as its record shows it, for a condition or "
        "synonym suggestion; null for a symptom.",
    )
    summary_source: SummarySource | None = Field(
        default=None,
        description="editorial, definition or computed, as on the record; null for a symptom.",
    )
    summary_sources: list[CodeSource] = Field(
        default_factory=list,
        description="What the summary quotes or draws on, as on the record; empty for a symptom.",
    )
    links: SelfLink


class AutocompleteResponse(Schema):
    query: str
    items: list[Suggestion]
