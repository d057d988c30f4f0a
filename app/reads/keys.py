"""The response cache's keys, built in one place. A record's representation is keyed by the
record's id, revision and time of change (every change of content raises its revision), a
list page by the content version (raised by any change to any record) and its query."""

import json
from collections.abc import Hashable
from datetime import datetime
from typing import Any, Protocol


class RecordVersion(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def revision(self) -> int: ...

    @property
    def updated_at(self) -> datetime: ...


def _frozen(value: Any) -> Hashable:
    return json.dumps(value, sort_keys=True) if value else None


def record_key(version: RecordVersion, *variant: Any) -> Hashable:
    """A record's representation, or one of its parts: `variant` names which (format, fields,
    section...)."""
    frozen = tuple(_frozen(part) if isinstance(part, dict) else part for part in variant)
    return ("record", version.id, version.revision, version.updated_at, *frozen)


def list_key(content_version: int, query: str) -> Hashable:
    return ("list", content_version, query)


def dump_key(content_version: int) -> Hashable:
    """The gzip-coded corpus dump at a content version (app.releases)."""
    return ("dump", content_version)
