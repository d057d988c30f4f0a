"""The condition list as a CSV or NDJSON export, in keyset batches on the slug."""

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from app.conditions import repository, service
from app.conditions.repository import ConditionFilters
from app.conditions.schemas import ConditionSummary
from app.core import exports
from app.core.conditional import CachePolicy
from app.core.errors import InvalidParameter
from app.core.fields import Include
from app.core.negotiation import Format
from app.core.pagination import Cursor, PageParams, explicit_limit


def export_response(
    request: Request,
    factory: sessionmaker[Session],
    filters: ConditionFilters,
    page: PageParams,
    fmt: Format,
    include: Include | None,
    policy: CachePolicy,
) -> StreamingResponse:
    """Every matching summary from the page's start (an `after` cursor or an offset), up to
    `limit` when the client gave one."""
    if page.cursor is not None and page.cursor.direction == "before":
        raise InvalidParameter(
            "Exports run forwards: start them from a links.next cursor, not links.prev.",
            errors=[{"loc": ["query", "cursor"], "msg": "backward cursor", "type": "conflict"}],
        )

    def read(session: Session, last: BaseModel | None, size: int) -> list[BaseModel]:
        if last is None:
            rows = repository.list_conditions(
                session, filters, size, cursor=page.cursor, offset=page.offset
            )
        else:
            after = Cursor("after", last.slug)  # type: ignore[attr-defined]
            rows = repository.list_conditions(session, filters, size, cursor=after)
        return [service.condition_summary(row) for row in rows]

    limit = explicit_limit(request, page)
    return exports.export_response(
        factory, read, limit, ConditionSummary, fmt, include, "conditions", policy
    )
