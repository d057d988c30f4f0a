"""Term lists and reverse look-ups as CSV or NDJSON exports, in offset batches."""

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.core import exports
from app.core.conditional import CachePolicy
from app.core.negotiation import Format
from app.core.pagination import PageParams, explicit_limit
from app.models import Term
from app.terms import repository, service
from app.terms.schemas import TermCondition, TermSummary


def _start(page: PageParams) -> list[int]:
    service.check_offset_paging(page)
    return [page.offset or 0]  # a cell the batch readers advance


def terms_export(
    request: Request,
    kind: str,
    q: str | None,
    page: PageParams,
    fmt: Format,
    policy: CachePolicy,
) -> StreamingResponse:
    position = _start(page)

    def read(session: Session, _: BaseModel | None, size: int) -> list[BaseModel]:
        rows = repository.list_terms(session, kind, q, size, position[0])
        position[0] += len(rows)
        return [service.term_summary(row) for row in rows]

    limit, name = explicit_limit(request, page), service.COLLECTIONS[kind]
    return exports.export_response(request, read, limit, TermSummary, fmt, None, name, policy)


def term_conditions_export(
    request: Request,
    term: Term,
    include_descendants: bool,
    page: PageParams,
    fmt: Format,
    policy: CachePolicy,
) -> StreamingResponse:
    position = _start(page)

    def read(session: Session, _: BaseModel | None, size: int) -> list[BaseModel]:
        batch = PageParams(limit=size, cursor=None, offset=position[0])
        items = service.conditions_page(session, request, term, include_descendants, batch).items
        position[0] += len(items)
        return list(items)

    limit, name = explicit_limit(request, page), f"{term.slug}-conditions"
    return exports.export_response(request, read, limit, TermCondition, fmt, None, name, policy)
