"""Base schema and generic envelopes shared by every domain."""

import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

ItemT = TypeVar("ItemT")


class Schema(BaseModel):
    """Base of every response schema."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)


# What text may hold: no NUL (PostgreSQL text and JSONB cannot store it) and no lone UTF-16
# surrogate (not Unicode text at all, and not encodable as UTF-8). The document's patterns
# name NUL only: a surrogate range is not a valid pattern for JSON Schema validators
# (jsonschema-rs refuses it), and JSON parsers refuse lone surrogates before us anyway.
_BANNED = r"\x00"
_BANNED_RE = re.compile(r"[\x00\ud800-\udfff]")
# The whitespace the stripping removes (Unicode White_Space, as pydantic's Rust core trims),
# spelled out: regex engines disagree on what \s covers.
_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_TEXT = f"[^{_BANNED}]*"
_TEXT_PATTERN = f"^{_TEXT}$"
_NOT_BLANK_PATTERN = f"^{_TEXT}[^{_BANNED}{_SPACE}]{_TEXT}$"


def text_rules(schema: dict[str, Any]) -> None:
    """The JSON schema of free text says what validation enforces: no NUL or lone surrogate,
    and, where a value is required, more than whitespace (strings are stripped first)."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        blank_allowed = schema.get("minLength", 0) < 1
        schema["pattern"] = _TEXT_PATTERN if blank_allowed else _NOT_BLANK_PATTERN
    for value in schema.values():
        if isinstance(value, dict):
            text_rules(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    text_rules(item)


def _has_banned(value: Any) -> bool:
    if isinstance(value, str):
        return _BANNED_RE.search(value) is not None
    if isinstance(value, list | tuple | set):
        return any(_has_banned(item) for item in value)
    if isinstance(value, dict):
        return any(_has_banned(k) or _has_banned(v) for k, v in value.items())
    return False


# For models whose strings are stripped of surrounding spaces before validation.
STRIPPED = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=text_rules)


class TextModel(BaseModel):
    """Base of models that take text from clients: stripped, unknown fields refused, and no
    NUL or lone surrogate anywhere (a 422 naming the field, not a database error)."""

    model_config = STRIPPED

    @field_validator("*", mode="after")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        if _has_banned(value):
            raise ValueError("text must not contain NUL (U+0000) or lone surrogates")
        return value


def comma_separated(text: str) -> list[str]:
    """The items of a comma-separated value (a query parameter, a setting), stripped, blanks
    dropped, in order."""
    return [item.strip() for item in text.split(",") if item.strip()]


class InputSchema(TextModel):
    """Base of every input schema: unknown fields are errors, not silently dropped."""


class SelfLink(Schema):
    """The links of an item that points only at its own record."""

    self: str


class PageLinks(Schema):
    self: str = Field(description="This page.")
    next: str | None = Field(description="The next page, or null on the last page.")
    prev: str | None = Field(description="The previous page, or null on the first page.")


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    total: int = Field(description="How many items match the filters, across all pages.")
    limit: int = Field(description="The page size used.")
    links: PageLinks
