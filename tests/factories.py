"""Small builders of seed records for tests that need more than the MMN record."""

from pathlib import Path
from typing import Any

import yaml

SOURCE = {
    "key": "test-source",
    "title": "Test fixtures",
    "publisher": "Condition Content API tests",
    "licence": "CC0-1.0",
    "retrieved": "2026-11-25",
}


def condition(slug: str, name: str | None = None, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "slug": slug,
        "name": name or slug.replace("-", " ").capitalize(),
        "summary": f"Summary of {slug}.",
        "disclaimer": "Test disclaimer.",
        "sources": [SOURCE["key"]],
        "sections": {"overview": {"summary": f"About {slug}."}},
    }
    record.update(overrides)
    return record


def write_seed(
    path: Path, conditions: list[dict[str, Any]], sources: list[dict[str, Any]] | None = None
) -> Path:
    document = {"sources": sources if sources is not None else [SOURCE], "conditions": conditions}
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return path
