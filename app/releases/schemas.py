"""Response schemas of content releases."""

from datetime import datetime

from pydantic import Field

from app.conditions.schemas import SourceOut
from app.core.schemas import Schema


class ReleaseSource(SourceOut):
    """A source as records show it, with its key."""

    key: str = Field(examples=["hpo-annotations"])


class ReleaseLinks(Schema):
    self: str
    changes: str = Field(
        description="The change feed from this release on: what a mirror holding it applies."
    )
    dump: str | None = Field(
        description="The whole corpus at this release, as gzip-compressed NDJSON; the current "
        "release only (past states are not kept: a mirror catches up through `changes`)."
    )


class Release(Schema):
    version: int = Field(
        description="The content version: a position in the change feed (`/v1/changes?since=`)."
    )
    released_at: datetime = Field(description="When the run that made it committed.")
    made_by: str = Field(
        description="`seed`, `import:hpo`, `import:icd10cm`, `upgrade` (the content found when "
        "releases began to be recorded), or `edits`: editors' writes since the last run.",
        examples=["import:hpo"],
    )
    current: bool = Field(description="Whether this is the content served now.")
    conditions: int = Field(description="How many published records it holds.")
    sources: list[ReleaseSource] = Field(description="Every source, at its version then.")
    links: ReleaseLinks


class ReleaseList(Schema):
    items: list[Release] = Field(description="Newest first; the first is the current one.")
    current: int = Field(description="The current content version.")
