"""The condition list as CSV or NDJSON, streamed in keyset batches: each batch is one short
query in its own session, so exporting the whole corpus holds one batch in memory, whatever the
corpus size, and no transaction stays open while the client reads."""

import csv
import io
from collections.abc import Iterator

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from app.conditions import repository, service
from app.conditions.repository import ConditionFilters
from app.conditions.schemas import ConditionSummary
from app.core.conditional import CachePolicy
from app.core.errors import InvalidParameter
from app.core.fields import Include
from app.core.negotiation import MEDIA_TYPES, Format
from app.core.pagination import Cursor, PageParams

BATCH_SIZE = 500
CSV_COLUMNS = list(ConditionSummary.model_fields)
LIST_SEPARATOR = " | "  # between the values of a list in one CSV cell


def _csv_row(summary: ConditionSummary, columns: list[str]) -> list[str]:
    values = summary.model_dump(mode="json", include=set(columns))
    row = []
    for column in columns:
        value = values.get(column)
        if column == "links":
            value = value["self"] if value else ""
        elif isinstance(value, list):
            value = LIST_SEPARATOR.join(str(part) for part in value)
        row.append("" if value is None else str(value))
    return row


def _batches(
    factory: sessionmaker[Session],
    filters: ConditionFilters,
    start: Cursor | None,
    offset: int | None,
    limit: int | None,
) -> Iterator[list[ConditionSummary]]:
    cursor, remaining = start, limit
    while remaining is None or remaining > 0:
        size = BATCH_SIZE if remaining is None else min(BATCH_SIZE, remaining)
        with factory() as session:
            rows = repository.list_conditions(
                session, filters, size, cursor=cursor, offset=offset if cursor is None else None
            )
            summaries = [service.condition_summary(row) for row in rows]
        if not summaries:
            return
        yield summaries
        cursor = Cursor("after", summaries[-1].slug)
        if remaining is not None:
            remaining -= len(summaries)


def stream(
    factory: sessionmaker[Session],
    filters: ConditionFilters,
    fmt: Format,
    include: Include | None,
    *,
    start: Cursor | None = None,
    offset: int | None = None,
    limit: int | None = None,
) -> Iterator[bytes]:
    columns = [column for column in CSV_COLUMNS if include is None or column in include]
    if fmt == Format.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["url" if column == "links" else column for column in columns])
        yield buffer.getvalue().encode()
    for batch in _batches(factory, filters, start, offset, limit):
        if fmt == Format.CSV:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerows(_csv_row(summary, columns) for summary in batch)
            yield buffer.getvalue().encode()
        else:
            yield b"".join(
                summary.model_dump_json(include=include).encode() + b"\n" for summary in batch
            )


def export_response(
    request: Request,
    filters: ConditionFilters,
    page: PageParams,
    fmt: Format,
    include: Include | None,
    policy: CachePolicy,
) -> StreamingResponse:
    if page.cursor is not None and page.cursor.direction == "before":
        raise InvalidParameter(
            "Exports run forwards: start them from a links.next cursor, not links.prev.",
            errors=[{"loc": ["query", "cursor"], "msg": "backward cursor", "type": "conflict"}],
        )
    # The page size applies only when asked for; otherwise the export runs to the end.
    limit = page.limit if "limit" in request.query_params else None
    body = stream(
        request.app.state.session_factory,
        filters,
        fmt,
        include,
        start=page.cursor,
        offset=page.offset,
        limit=limit,
    )
    extension = "csv" if fmt == Format.CSV else "ndjson"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Cache-Control": policy.cache_control,
            "Vary": "Accept",
            "Content-Disposition": f'inline; filename="conditions.{extension}"',
        },
    )
