"""The write API's unit of work. Each write is one transaction: lock the record, check the
client's If-Match against the record's tags as they are now (derived from its revision, so
nothing is rendered for it), validate the new record whole, write it, record it through the
change recorder, and render the answer once; or roll everything back."""

import json
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.auth.keys import Caller
from app.conditions import repository as conditions
from app.conditions import service as condition_service
from app.conditions.representations import (
    record_rendered,
    record_tag,
    section_rendered,
    section_tag,
)
from app.core.conditional import Rendered, revision_tag
from app.core.db import transaction
from app.core.errors import (
    ConditionNotFound,
    Conflict,
    PreconditionFailed,
    RecordIncomplete,
    SectionNotFound,
)
from app.models import Condition
from app.models.kinds import ChangeAction, ConditionOrigin, ConditionStatus, SectionKind
from app.writing import feed, recorder, repository
from app.writing.documents import document_body, document_of, merge_patch
from app.writing.feed import Change
from app.writing.schemas import ConditionIn, SectionIn
from app.writing.writer import (
    EDITABLE_FIELDS,
    clear_children,
    set_editable_fields,
    write_children,
)

Loc = tuple[str | int, ...]
logger = logging.getLogger("app.editing")


def _log(slug: str, action: str, caller: Caller) -> None:
    """The audit line of a committed write (the key's name, never the key)."""
    details = {"slug": slug, "action": action, "author": caller.key_name}
    logger.info("condition written", extra=details)


@dataclass(frozen=True)
class Written:
    """What a write answers: the resource after the write, as GET serves it."""

    slug: str
    rendered: Rendered
    created: bool = False


def document_rendered(condition: Condition) -> Rendered:
    """The record's document as GET `/document` serves it."""
    body = json.dumps(
        document_body(document_of(condition)), ensure_ascii=False, separators=(",", ":")
    )
    return Rendered.of(body.encode(), "application/json", etag=document_tag(condition))


def document_tag(condition: Condition) -> str:
    return revision_tag(
        "document", condition.id, condition.revision, condition.updated_at.isoformat()
    )


def _validated(data: Any, at: Loc, sent: Collection[str] = ()) -> ConditionIn:
    """The record after the change, validated whole. Faults only in members the request did
    not send (`sent`: the body's top-level members) are the record's, not the request's: an
    imported record has no summary or source of its own yet. That is 409, with the fields."""
    try:
        return ConditionIn.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": [*at, *error["loc"]], "msg": error["msg"], "type": error["type"]}
            for error in exc.errors()
        ]
        if all(error["loc"][len(at)] not in sent for error in errors if error["loc"][len(at) :]):
            fields = ", ".join(".".join(map(str, e["loc"][len(at) :])) for e in errors)
            raise RecordIncomplete(
                f"The record as it is lacks what editors' records need ({fields}); send "
                "those members too (PATCH or PUT), then write again.",
                errors=[{**error, "loc": ["record", *error["loc"][len(at) :]]} for error in errors],
            ) from None
        raise RequestValidationError(errors) from None


def _check_sources(session: Session, record: ConditionIn, at: Loc) -> None:
    """Every cited source key must name a source the service has."""
    cited: list[tuple[Loc, str]] = [((*at, "sources", i), k) for i, k in enumerate(record.sources)]
    for kind, section in record.section_items().items():
        cited += [
            ((*at, "sections", kind.value, "sources", i), key)
            for i, key in enumerate(section.sources)
        ]
    unknown = repository.unknown_source_keys(session, {key for _, key in cited})
    if unknown:
        raise RequestValidationError(
            [
                {"loc": loc, "msg": f"no source has the key {key!r}", "type": "unknown_source"}
                for loc, key in cited
                if key in unknown
            ]
        )


def _require_current(
    session: Session, condition: Condition, tags: Sequence[str], kind: SectionKind | None = None
) -> None:
    """412 unless the client's If-Match names the record as it is now: the ETag of its JSON,
    of its document, or (for a section write) of that section."""
    current = {record_tag(condition), document_tag(condition)}
    if kind is not None:
        current.add(section_tag(condition, kind))
    if not {f'"{tag}"' for tag in tags} & current:
        raise PreconditionFailed(
            f"{condition.slug!r} has changed since the ETag sent in If-Match was read (or the "
            "tag is not one of its ETags). Read it again, apply the change, and send its new "
            "ETag.",
            slug=condition.slug,
        )


@contextmanager
def write_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The one way a write API request takes the write lock (see core.db.transaction)."""
    with transaction(factory, write=True) as session:
        yield session


@contextmanager
def _editing(
    factory: sessionmaker[Session], slug: str, tags: Sequence[str], kind: SectionKind | None = None
) -> Iterator[tuple[Session, Condition]]:
    """The write transaction, with the record locked and the client's If-Match checked."""
    with write_transaction(factory) as session:
        condition = repository.lock_condition(session, slug)
        if condition is None:
            raise ConditionNotFound.for_slug(slug)
        _require_current(session, condition, tags, kind)
        try:
            yield session, condition
        except IntegrityError:
            # Writers run one after another (see core.db.transaction), so this is a backstop:
            # a constraint the checks above did not foresee, answered as a conflict, not a 500.
            raise Conflict(
                f"The change to {slug!r} conflicts with the data as it is now; read it again."
            ) from None


def _write(
    session: Session,
    condition: Condition,
    record: ConditionIn,
    *,
    caller: Caller,
    action: str,
    change: Any,
    section: SectionKind | None = None,
    at: Loc = ("body",),
) -> None:
    """`at` is where validation errors point: the body, or ("record",) when the body was one
    section and the fault is elsewhere in the record (a summary it lacks, say)."""
    _check_sources(session, record, at)
    before = (condition.revision, condition.status)
    old_slug = condition.slug
    if record.slug != old_slug:
        if repository.slug_in_use(session, record.slug):
            raise Conflict(
                f"Cannot rename to {record.slug!r}: another condition has that slug.",
                slug=record.slug,
            )
        repository.drop_redirect(session, record.slug)
        repository.add_redirect(session, old_slug, condition.id)
    keys = {*record.sources, *(k for s in record.section_items().values() for k in s.sources)}
    sources = conditions.sources_by_key(session, list(keys))
    clear_children(session, condition)
    session.expire(condition, ["codes", "sections", "sources"])
    set_editable_fields(condition, record.model_dump(include=EDITABLE_FIELDS))
    condition.slug = record.slug
    condition.origin = ConditionOrigin.SEED  # editors own it now: imports only add to it
    recorder.bump(session, [condition])
    write_children(session, condition, record, sources)
    recorder.add_revision(
        session, condition, record, action=action, author=caller.key_name, change=change,
        section=section.value if section else None,
    )  # fmt: skip
    changes = [
        Change(
            record.slug,
            feed.action_for(before, condition.status),
            condition.revision,
            previous_slug=old_slug if record.slug != old_slug else None,
        )
    ]
    if record.slug != old_slug:
        changes.append(Change(old_slug, ChangeAction.MOVED, moved_to=record.slug))
    recorder.finish(session, [condition.id], changes=changes)
    session.expire_all()  # the answer is read back as GET would read it


def create(factory: sessionmaker[Session], record: ConditionIn, caller: Caller) -> Written:
    with write_transaction(factory) as session:
        if repository.slug_in_use(session, record.slug):
            raise Conflict(
                f"A condition with the slug {record.slug!r} exists already; change it with "
                "PUT or PATCH.",
                slug=record.slug,
            )
        _check_sources(session, record, ("body",))
        repository.drop_redirect(session, record.slug)
        condition = Condition(
            slug=record.slug,
            content_hash="",  # not from a seed file: see Condition.content_hash
            revision=1,
            origin=ConditionOrigin.SEED,
            **record.model_dump(include=EDITABLE_FIELDS),
        )
        session.add(condition)
        try:
            session.flush()
        except IntegrityError:  # created by a concurrent request since the check above
            raise Conflict(
                f"A condition with the slug {record.slug!r} exists already.", slug=record.slug
            ) from None
        keys = {*record.sources, *(k for s in record.section_items().values() for k in s.sources)}
        write_children(session, condition, record, conditions.sources_by_key(session, list(keys)))
        recorder.add_revision(
            session, condition, record, action="created", author=caller.key_name,
            change=record.as_document(),
        )  # fmt: skip
        created = Change(record.slug, ChangeAction.CREATED, 1)
        recorder.finish(session, [condition.id], changes=[created])
        session.expire_all()
        written = Written(record.slug, record_rendered(session, record.slug), created=True)
    _log(written.slug, "created", caller)
    return written


def replace(
    factory: sessionmaker[Session],
    slug: str,
    record: ConditionIn,
    tags: Sequence[str],
    caller: Caller,
) -> Written:
    change = record.as_document()
    return _write_record(factory, slug, tags, caller, "replaced", lambda _: record, change)


def patch(
    factory: sessionmaker[Session],
    slug: str,
    body: dict[str, Any],
    tags: Sequence[str],
    caller: Caller,
) -> Written:
    def patched(condition: Condition) -> ConditionIn:
        current = document_of(condition).as_document()
        return _validated(merge_patch(current, body), ("body",), sent=body.keys())

    return _write_record(factory, slug, tags, caller, "patched", patched, body)


def _write_record(
    factory: sessionmaker[Session],
    slug: str,
    tags: Sequence[str],
    caller: Caller,
    action: str,
    new_record: Callable[[Condition], ConditionIn],
    change: Any,
) -> Written:
    """A write of the whole record: `new_record` makes it from the locked row."""
    with _editing(factory, slug, tags) as (session, condition):
        record = new_record(condition)
        _write(session, condition, record, caller=caller, action=action, change=change)
        written = Written(record.slug, record_rendered(session, record.slug))
    _log(written.slug, action, caller)
    return written


def put_section(
    factory: sessionmaker[Session],
    slug: str,
    kind: SectionKind,
    section: SectionIn,
    tags: Sequence[str],
    caller: Caller,
) -> Written:
    with _editing(factory, slug, tags, kind) as (session, condition):
        existed = any(row.kind == kind.value for row in condition.sections)
        document = document_of(condition).as_document()
        change = section.model_dump(mode="json")
        document["sections"][kind.value] = change
        record = _validated(document, ("record",))
        _write(
            session, condition, record, caller=caller, action="section-replaced",
            change=change, section=kind, at=("record",),
        )  # fmt: skip
        written = Written(record.slug, section_rendered(session, record.slug, kind), not existed)
    _log(written.slug, "section-replaced", caller)
    return written


def delete_section(
    factory: sessionmaker[Session],
    slug: str,
    kind: SectionKind,
    tags: Sequence[str],
    caller: Caller,
) -> None:
    with _editing(factory, slug, tags, kind) as (session, condition):
        document = document_of(condition).as_document()
        if document["sections"].get(kind.value) is None:
            available = [k.value for k in condition_service.section_kinds_of(condition)]
            raise SectionNotFound(
                f"{condition.name} has no {kind.value!r} section written by editors; it has: "
                f"{', '.join(available) or 'none'}.",
                slug=slug,
                section=kind.value,
                available=available,
            )
        document["sections"].pop(kind.value)
        record = _validated(document, ("record",))
        _write(
            session, condition, record, caller=caller, action="section-deleted",
            change=None, section=kind, at=("record",),
        )  # fmt: skip
    _log(slug, "section-deleted", caller)


def retire(
    factory: sessionmaker[Session], slug: str, tags: Sequence[str], caller: Caller
) -> Written:
    """Soft delete: the record stays, with status retired, its history and its URL."""
    with _editing(factory, slug, tags) as (session, condition):
        if condition.status != ConditionStatus.RETIRED:
            condition.status = ConditionStatus.RETIRED
            condition.origin = ConditionOrigin.SEED  # an import must not bring it back
            recorder.bump(session, [condition])
            recorder.add_revision(
                session, condition, document_of(condition), action="retired",
                author=caller.key_name,
            )  # fmt: skip
            retired = Change(slug, ChangeAction.RETIRED, condition.revision)
            recorder.finish(session, [condition.id], changes=[retired])
            session.expire_all()
        written = Written(slug, record_rendered(session, slug))
    _log(slug, "retired", caller)
    return written
