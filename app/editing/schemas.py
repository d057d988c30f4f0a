"""Response schemas of the write API's history."""

from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.schemas import Page, Schema
from app.writing.documents import ConditionDocument


class RevisionLinks(Schema):
    self: str
    condition: str


class RevisionSummary(Schema):
    number: int = Field(description="The record's `revision` after this write.")
    action: str = Field(
        description="created, replaced (PUT), patched (PATCH), section-replaced, "
        "section-deleted, retired, or imported (an import changed what it keeps on the "
        "record)."
    )
    section: str | None = Field(description="The section written, for section writes.")
    author: str = Field(
        description="Name of the API key that wrote it, `seed` (a seed file) or `import` (an "
        "open-data import)."
    )
    created_at: datetime
    links: RevisionLinks


class RevisionOut(RevisionSummary):
    change: Any = Field(
        description="What the write sent: the whole record (PUT, POST), the merge patch "
        "(PATCH), the section (section PUT); null for deletes and seed files. For an import: "
        "`source`, `version` and the parts of the record it `changed`."
    )
    document: ConditionDocument = Field(description="The whole record after this write.")


class RevisionSummaryPage(Page[RevisionSummary]):
    """A page of RevisionSummary items."""
