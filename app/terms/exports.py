"""Term lists and reverse look-ups as CSV or NDJSON exports, in offset batches."""

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from app.core import exports
from app.core.conditional import CachePolicy
from app.core.negotiation import Format
from app.core.pagination import PageParams, explicit_limit
from app.models import Term
from app.terms import repository, service
from app.terms.schemas import TermCondition, TermSummary


def _from_offset(
    page: PageParams, fetch: Callable[[Session, int, int], list[BaseModel]]
) -> exports.BatchReader:
    """A batch reader that pages `fetch(session, size, offset)` on from the page's offset."""
    service.check_offset_paging(page)
    position = page.offset or 0

    def read(session: Session, _: BaseModel | None, size: int) -> list[BaseModel]:
        nonlocal position
        items = fetch(session, size, position)
        position += len(items)
        return items

    return read


def terms_export(
    request: Request,
    factory: sessionmaker[Session],
    kind: str,
    q: str | None,
    page: PageParams,
    fmt: Format,
    policy: CachePolicy,
) -> StreamingResponse:
    def fetch(session: Session, size: int, offset: int) -> list[BaseModel]:
        rows = repository.list_terms(session, kind, q, size, offset)
        return [service.term_summary(row) for row in rows]

    limit, name = explicit_limit(request, page), service.COLLECTIONS[kind]
    return exports.export_response(
        factory, _from_offset(page, fetch), limit, TermSummary, fmt, None, name, policy
    )


def term_conditions_export(
    request: Request,
    factory: sessionmaker[Session],
    term: Term,
    include_descendants: bool,
    page: PageParams,
    fmt: Format,
    policy: CachePolicy,
    status: str,
) -> StreamingResponse:
    def fetch(session: Session, size: int, offset: int) -> list[BaseModel]:
        batch = PageParams(limit=size, cursor=None, offset=offset)
        found = service.conditions_page(session, request, term, include_descendants, batch, status)
        return list(found.items)

    limit, name = explicit_limit(request, page), f"{term.slug}-conditions"
    return exports.export_response(
        factory, _from_offset(page, fetch), limit, TermCondition, fmt, None, name, policy
    )
