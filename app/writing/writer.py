"""The write path: upsert validated condition records by slug. Only flushes; the caller's
transaction commits or rolls back, so a batch is written whole or not at all."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, tuple_
from sqlalchemy.orm import Session

from app.conditions import repository
from app.conditions.names import slug_for
from app.models import (
    Code,
    Condition,
    Section,
    SectionItem,
    Source,
    Term,
    condition_sources,
    section_sources,
)
from app.models.kinds import SECTION_INFO, CodeProvenance, ConditionOrigin, SectionKind
from app.writing import feed, recorder
from app.writing.schemas import ConditionIn, SectionIn, SourceIn


@dataclass
class UpsertReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Seed slugs that editors have renamed since (seed slug: slug now); left as they are.
    renamed: dict[str, str] = field(default_factory=dict)
    sources_written: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.sources_written)


def content_hash(record: ConditionIn) -> str:
    """Hash of the record's own content. Changes to the sources it cites are caught apart, when
    the source rows change (see _bump_citing)."""
    payload = record.model_dump(mode="json")
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def upsert_sources(
    session: Session, sources: Sequence[SourceIn]
) -> tuple[dict[str, Source], int, set[int]]:
    """Insert new sources, update changed ones; returns the rows by key, how many were
    written, and the ids of existing sources whose content changed."""
    existing = repository.sources_by_key(session, [source.key for source in sources])
    written = 0
    changed: set[int] = set()
    for source_in in sources:
        values = source_in.model_dump(mode="json", exclude={"key", "retrieved"})
        values["retrieved"] = source_in.retrieved
        source = existing.get(source_in.key)
        if source is None:
            source = Source(key=source_in.key, **values)
            session.add(source)
            existing[source_in.key] = source
            written += 1
        elif any(getattr(source, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(source, name, value)
            written += 1
            changed.add(source.id)
    session.flush()
    return existing, written, changed


def _bump_citing(session: Session, source_ids: set[int], skip: set[str]) -> list[str]:
    """Raise the revision of every condition (but those in `skip`) that shows a changed
    source, since its responses changed too."""
    citing = repository.conditions_by_slug(session, repository.slugs_citing(session, source_ids))
    bumped = [condition for slug, condition in citing.items() if slug not in skip]
    recorder.bump(session, bumped)
    return [condition.slug for condition in bumped]


def _terms_for(session: Session, record: ConditionIn) -> dict[tuple[str, str], Term]:
    """Get or create the shared term of every item whose section kind has one."""
    wanted: dict[tuple[str, str], str] = {}
    for kind, section in record.section_items().items():
        term_kind = SECTION_INFO[kind].term_kind
        if term_kind is not None:
            for item in section.items:
                if slug := slug_for(item.name):
                    wanted.setdefault((term_kind.value, slug), item.name)
    terms = repository.terms_by_kind_slug(session, set(wanted))
    for (term_kind_value, slug), name in wanted.items():
        if (term_kind_value, slug) not in terms:
            term = Term(kind=term_kind_value, slug=slug, name=name)
            session.add(term)
            terms[(term_kind_value, slug)] = term
    session.flush()
    return terms


def build_section(
    kind: SectionKind, section_in: SectionIn, terms: dict[tuple[str, str], Term]
) -> Section:
    info = SECTION_INFO[kind]
    items = []
    for position, item in enumerate(section_in.items):
        term = terms.get((info.term_kind.value, slug_for(item.name))) if info.term_kind else None
        items.append(
            SectionItem(
                position=position,
                name=item.name,
                description=item.description,
                attributes=item.model_dump(mode="json", exclude={"name", "description"}),
                term=term,
            )
        )
    return Section(
        kind=kind.value,
        title=section_in.title or info.title,
        summary=section_in.summary,
        items=items,
    )


def build_codes(record: ConditionIn) -> list[Code]:
    return [
        Code(
            position=position,
            system=code.system.value,
            code=code.code,
            display=code.display,
            relation=code.relation.value,
        )
        for position, code in enumerate(record.codes)
    ]


def write_children(
    session: Session, condition: Condition, record: ConditionIn, sources: dict[str, Source]
) -> None:
    terms = _terms_for(session, record)
    codes = build_codes(record)
    for code in codes:
        code.condition_id = condition.id
    if codes:  # an editor's code supersedes the same code found by an import
        session.execute(
            delete(Code).where(
                Code.condition_id == condition.id,
                tuple_(Code.system, Code.code).in_([(c.system, c.code) for c in codes]),
            )
        )
    session.add_all(codes)
    sections = record.section_items()
    built = {kind: build_section(kind, section, terms) for kind, section in sections.items()}
    for section in built.values():
        section.condition_id = condition.id
    session.add_all(built.values())
    session.flush()
    session.execute(
        insert(condition_sources),
        [
            {"condition_id": condition.id, "source_id": sources[key].id, "position": position}
            for position, key in enumerate(record.sources)
        ],
    )
    section_rows = [
        {"section_id": built[kind].id, "source_id": sources[key].id, "position": position}
        for kind, section in sections.items()
        for position, key in enumerate(section.sources or record.sources)
    ]
    if section_rows:
        session.execute(insert(section_sources), section_rows)


def clear_children(session: Session, condition: Condition) -> None:
    # Bulk deletes: sections' items and source links go with them through ON DELETE CASCADE.
    session.execute(delete(Section).where(Section.condition_id == condition.id))
    # Only the codes editors wrote: codes from imports belong to their import.
    session.execute(
        delete(Code).where(
            Code.condition_id == condition.id, Code.provenance == CodeProvenance.CURATED
        )
    )
    session.execute(
        delete(condition_sources).where(condition_sources.c.condition_id == condition.id)
    )


EDITABLE_FIELDS = {
    "name",
    "synonyms",
    "summary",
    "status",
    "last_reviewed",
    "review_due",
    "disclaimer",
}


def set_editable_fields(condition: Condition, fields: dict[str, object]) -> None:
    """Editors' fields onto the row. An editors' summary wins over the derived one, which is
    dropped at once (as the next import would: app/importers/summaries.py keeps it for
    records without one only)."""
    for name, value in fields.items():
        setattr(condition, name, value)
    if condition.summary is not None:
        condition.derived_summary = None
        condition.derived_summary_kind = None
        condition.derived_summary_sources = []


def upsert_conditions(
    session: Session, records: Sequence[ConditionIn], sources: Sequence[SourceIn]
) -> UpsertReport:
    """Write seed records. Each created or changed record gets a revision by the author
    `seed`, and the change feed an entry."""
    report = UpsertReport()
    before = feed.states(session)
    source_rows, report.sources_written, changed_sources = upsert_sources(session, sources)
    existing = repository.conditions_by_slug(session, [record.slug for record in records])
    for record in records:
        digest = content_hash(record)
        condition = existing.get(record.slug)
        if condition is not None and condition.content_hash == digest:
            report.unchanged.append(record.slug)
            continue
        if condition is None and (now := repository.redirect_target(session, record.slug)):
            # Renamed over the API: the seed file must follow (its slug) before it applies
            # again, or it would make a second record of the same content.
            report.renamed[record.slug] = now
            continue
        fields = record.model_dump(include=EDITABLE_FIELDS)
        if condition is None:
            condition = Condition(slug=record.slug, content_hash=digest, revision=1, **fields)
            session.add(condition)
            session.flush()
            report.created.append(record.slug)
        else:
            clear_children(session, condition)
            session.expire(condition, ["codes", "sections", "sources"])
            set_editable_fields(condition, fields)
            condition.content_hash = digest
            condition.origin = ConditionOrigin.SEED  # editors own it now; imports only add to it
            recorder.bump(session, [condition])
            report.updated.append(record.slug)
        write_children(session, condition, record, source_rows)
        action = "created" if condition.revision == 1 else "replaced"
        recorder.add_revision(session, condition, record, action=action, author="seed")
    if changed_sources:
        written = {*report.created, *report.updated}
        bumped = _bump_citing(session, changed_sources, skip=written)
        report.updated += bumped
        report.unchanged = [slug for slug in report.unchanged if slug not in bumped]
    session.flush()
    changed = repository.conditions_by_slug(session, [*report.created, *report.updated])
    recorder.finish(session, [condition.id for condition in changed.values()], before=before)
    return report
