"""The bytes a record or section is served as, per format, built once per revision and kept in
the response cache: a repeat read costs one indexed look-up of the record's revision."""

import json
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.conditions import jsonld, repository, service
from app.conditions.imported import ImportedContent, load_imported
from app.conditions.repository import ConditionFilters, ConditionVersion
from app.conditions.schemas import ConditionRecord, SectionResponse
from app.core.conditional import Rendered, revision_tag
from app.core.db import session_on
from app.core.errors import ConditionNotFound, InvalidParameter, SectionNotFound
from app.core.fields import Include, page_include
from app.core.negotiation import MEDIA_TYPES, Format
from app.core.pagination import PageParams, link_header
from app.models import Condition
from app.models.kinds import SectionKind
from app.reads.keys import list_key, record_key
from app.reads.service import Reads

# What a route needs to answer: the representation and the record's Last-Modified.
Served = tuple[Rendered, datetime]


def _frozen(include: Include | None) -> Hashable:
    return json.dumps(include, sort_keys=True) if include else None


def json_bytes(model: BaseModel, include: Include | None = None) -> bytes:
    """The JSON the response model documents (the same serializer FastAPI uses)."""
    return model.model_dump_json(include=include).encode()


def jsonld_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def record_tag(
    condition: Condition, fmt: Format = Format.JSON, include: Include | None = None
) -> str:
    """The ETag of the record in this variant at its current revision."""
    return revision_tag("record", *_revision(condition), fmt, _frozen(include))


def section_tag(condition: Condition, kind: SectionKind, fmt: Format = Format.JSON) -> str:
    return revision_tag("section", *_revision(condition), kind, fmt)


def _revision(condition: Condition) -> tuple[int, int, str]:
    return condition.id, condition.revision, condition.updated_at.isoformat()


def _render(model: BaseModel, fmt: Format, include: Include | None, tag: str) -> Rendered:
    if fmt == Format.JSONLD:
        if include is not None:
            raise InvalidParameter(
                "fields shapes the JSON representation only; drop it, or ask for JSON.",
                errors=[
                    {"loc": ["query", "fields"], "msg": "not with JSON-LD", "type": "conflict"}
                ],
            )
        document = (
            jsonld.record_jsonld(model)
            if isinstance(model, ConditionRecord)
            else jsonld.section_jsonld(model)  # type: ignore[arg-type]
        )
        return Rendered.of(jsonld_bytes(document), MEDIA_TYPES[fmt], etag=tag)
    return Rendered.of(json_bytes(model, include), MEDIA_TYPES[fmt], etag=tag)


def record_rendered(
    session: Session, slug: str, fmt: Format = Format.JSON, include: Include | None = None
) -> Rendered:
    """The record as GET serves it, read in `session` (so a write can answer what it wrote)."""
    condition = repository.get_condition_record(session, slug)
    if condition is None:  # deleted since the version check
        raise ConditionNotFound.for_slug(slug)
    annotations = load_imported(session, condition)
    record = service.condition_record(condition, annotations)
    return _render(record, fmt, include, record_tag(condition, fmt, include))


def _build_record(
    connection: Connection, slug: str, fmt: Format, include: Include | None
) -> Rendered:
    with session_on(connection) as session:
        return record_rendered(session, slug, fmt, include)


async def record(
    reads: Reads, version: ConditionVersion, slug: str, fmt: Format, include: Include | None
) -> Served:
    key = record_key(version, fmt, include)
    return await reads.cached(key, _build_record, slug, fmt, include), version.updated_at


def section_model(
    session: Session, slug: str, kind: SectionKind
) -> tuple[Condition, SectionResponse]:
    """One section with its record's provenance; a 404 that lists the record's sections when
    it has no such section."""
    condition = repository.get_condition(session, slug)
    if condition is None:
        raise ConditionNotFound.for_slug(slug)
    section = repository.get_section(session, condition.id, kind.value)
    # Only a kind the imports give the record items of needs them loaded.
    content = (
        load_imported(session, condition)
        if kind.value in (condition.imported_kinds or [])
        else ImportedContent()
    )
    if section is None and kind.value not in (condition.imported_kinds or []):
        available = [k.value for k in service.section_kinds_of(condition)]
        raise SectionNotFound(
            f"{condition.name} has no {kind.value!r} section; it has: "
            f"{', '.join(available) or 'none'}.",
            slug=condition.slug,
            section=kind.value,
            available=available,
        )
    return condition, service.section_response(condition, kind, section, content)


def section_rendered(
    session: Session, slug: str, kind: SectionKind, fmt: Format = Format.JSON
) -> Rendered:
    condition, model = section_model(session, slug, kind)
    return _render(model, fmt, None, section_tag(condition, kind, fmt))


def _build_section(connection: Connection, slug: str, kind: SectionKind, fmt: Format) -> Rendered:
    with session_on(connection) as session:
        return section_rendered(session, slug, kind, fmt)


async def section(
    reads: Reads, version: ConditionVersion, slug: str, kind: SectionKind, fmt: Format
) -> Served:
    key = record_key(version, "section", kind, fmt)
    return await reads.cached(key, _build_section, slug, kind, fmt), version.updated_at


def _build_list(
    connection: Connection,
    request: Request,
    filters: ConditionFilters,
    page: PageParams,
    include: Include | None,
) -> Rendered:
    with session_on(connection) as session:
        result = service.condition_page(session, request, filters, page)
    body = json_bytes(result, page_include(include))
    return Rendered.of(body, MEDIA_TYPES[Format.JSON], link_header(result.links))


async def condition_list(
    reads: Reads,
    request: Request,
    filters: ConditionFilters,
    page: PageParams,
    include: Include | None,
) -> Rendered:
    """A page of the list as JSON. Any change to any condition raises the content version, so
    a cached page is reused only while nothing it could show has changed."""
    key = list_key(await reads.content_version(), request.url.query)
    return await reads.cached(key, _build_list, request, filters, page, include)
