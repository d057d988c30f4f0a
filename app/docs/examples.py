"""OpenAPI response examples, built from the MMN seed record through the same code that serves it,
so the documented examples are real responses and cannot drift from the data (a test compares).
They are put into the document by route name (app.core.openapi), from here: building them
takes the seed loader and the record writer, which the read domain does not import."""

from datetime import UTC, datetime, time
from functools import lru_cache
from typing import Any

from app.conditions.imported import ImportedContent
from app.conditions.service import (
    condition_record,
    condition_summary,
    section_response,
)
from app.core.config import PROJECT_ROOT
from app.core.urls import condition_list_path
from app.models import Condition, Source
from app.models.kinds import SectionKind
from app.seeding.loader import SeedError, load
from app.writing.schemas import SourceIn
from app.writing.writer import build_codes, build_section

EXAMPLE_FILE = PROJECT_ROOT / "seed_data" / "mmn.yaml"


def _source(source_in: SourceIn) -> Source:
    values = source_in.model_dump(mode="json", exclude={"retrieved"})
    return Source(**values, retrieved=source_in.retrieved)


@lru_cache(maxsize=1)
def mmn_examples() -> dict[str, Any]:
    """{"record", "summary", "sections": {kind: example}}, or {} when the seed file is absent."""
    try:
        records, sources_in = load([EXAMPLE_FILE])
    except SeedError:
        return {}
    record = records[0]
    sources = {source.key: _source(source) for source in sources_in}
    reviewed = record.last_reviewed or datetime.now(UTC).date()
    stamp = datetime.combine(reviewed, time(), tzinfo=UTC)
    condition = Condition(
        **record.model_dump(
            include={
                "slug",
                "name",
                "synonyms",
                "summary",
                "status",
                "disclaimer",
                "last_reviewed",
                "review_due",
            }
        ),
        revision=1,
        annotation_count=0,
        created_at=stamp,
        updated_at=stamp,
    )
    condition.codes = build_codes(record)
    condition.sources = [sources[key] for key in record.sources]
    sections = []
    for kind, section_in in record.section_items().items():
        section = build_section(kind, section_in, terms={})
        section.sources = [sources[key] for key in section_in.sources or record.sources]
        sections.append(section)
    condition.sections = sections
    return {
        "record": condition_record(condition, ImportedContent()).model_dump(mode="json"),
        "summary": condition_summary(condition).model_dump(mode="json"),
        "sections": {
            SectionKind(section.kind): section_response(
                condition, SectionKind(section.kind), section, ImportedContent()
            ).model_dump(mode="json")
            for section in sections
        },
    }


def route_examples() -> dict[str, Any]:
    """The 200 example of each route documented with MMN, by route name."""
    examples = mmn_examples()
    if not examples:
        return {}
    listed = {
        "items": [examples["summary"]],
        "total": 1,
        "limit": 20,
        "links": {"self": condition_list_path(), "next": None, "prev": None},
    }
    sections = {
        f"get_{kind.value.replace('-', '_')}": example
        for kind, example in examples["sections"].items()
    }
    return {"list_conditions": listed, "get_condition": examples["record"], **sections}
