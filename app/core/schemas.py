"""Base schema and generic envelopes shared by every domain."""

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ItemT = TypeVar("ItemT")


class Schema(BaseModel):
    """Base of every response schema."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)


class InputSchema(BaseModel):
    """Base of every input schema: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageLinks(Schema):
    self: str = Field(description="This page.")
    next: str | None = Field(description="The next page, or null on the last page.")
    prev: str | None = Field(description="The previous page, or null on the first page.")


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    total: int = Field(description="How many items match the filters, across all pages.")
    limit: int = Field(description="The page size used.")
    links: PageLinks
