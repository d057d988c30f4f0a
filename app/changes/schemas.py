"""Response schemas of the change feed."""

from datetime import datetime

from pydantic import Field

from app.core.schemas import Schema
from app.models.kinds import ChangeAction


class ChangeLinks(Schema):
    condition: str | None = Field(description="The record now; null when it was removed.")


class ChangeOut(Schema):
    seq: int = Field(description="Position in the feed; pass the last one seen as `since`.")
    slug: str
    action: ChangeAction
    revision: int | None = Field(description="The record's revision after the change.")
    previous_slug: str | None = Field(description="The slug before a rename.")
    moved_to: str | None = Field(description="For `moved`: the slug the record has now.")
    changed_at: datetime
    links: ChangeLinks


class FeedLinks(Schema):
    self: str
    next: str = Field(description="Where to read on: the same feed after this page.")


class ChangeFeed(Schema):
    items: list[ChangeOut]
    since: int = Field(description="The cursor this page was read from.")
    next_since: int = Field(
        description="The cursor to read on from: the last item's seq, or `since` when "
        "nothing changed."
    )
    more: bool = Field(description="True when changes beyond this page were already known.")
    links: FeedLinks
