"""Lists as CSV or NDJSON exports, streamed batch by batch: each batch is read in its own short
session, so an export of the whole corpus holds one batch in memory and no transaction stays
open while the client reads."""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from app.core.conditional import CachePolicy
from app.core.fields import Include
from app.core.negotiation import MEDIA_TYPES, Format

BATCH_SIZE = 500
LIST_SEPARATOR = " | "  # between the values of a list in one CSV cell

# One batch of items, read in the given session, after the previous batch (None: the first).
BatchReader = Callable[[Session, BaseModel | None, int], list[BaseModel]]


def csv_cell(value: Any) -> str:
    """A JSON value flattened into one CSV cell: lists joined, links by their URL, objects by
    their name (or as JSON when they have none)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(csv_cell(part) for part in value)
    if isinstance(value, dict):
        if "self" in value:
            return str(value["self"])
        if "name" in value:
            return str(value["name"])
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def csv_header(name: str) -> str:
    return "url" if name == "links" else name  # a links object becomes its self URL


def batches(
    factory: sessionmaker[Session], read: BatchReader, limit: int | None
) -> Iterator[list[BaseModel]]:
    last: BaseModel | None = None
    remaining = limit
    while remaining is None or remaining > 0:
        size = BATCH_SIZE if remaining is None else min(BATCH_SIZE, remaining)
        with factory() as session:
            batch = read(session, last, size)
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        last = batch[-1]
        if remaining is not None:
            remaining -= len(batch)


def encode(
    items: Iterable[list[BaseModel]],
    model: type[BaseModel],
    fmt: Format,
    include: Include | None,
) -> Iterator[bytes]:
    if fmt == Format.NDJSON:
        for batch in items:
            lines = (item.model_dump_json(include=include) for item in batch)
            yield "".join(f"{line}\n" for line in lines).encode()
        return
    columns = [name for name in model.model_fields if include is None or name in include]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_header(name) for name in columns])
    yield buffer.getvalue().encode()
    for batch in items:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for item in batch:
            values = item.model_dump(mode="json", include=set(columns))
            writer.writerow([csv_cell(values.get(name)) for name in columns])
        yield buffer.getvalue().encode()


def export_response(
    factory: sessionmaker[Session],
    read: BatchReader,
    limit: int | None,
    model: type[BaseModel],
    fmt: Format,
    include: Include | None,
    filename: str,
    policy: CachePolicy,
) -> StreamingResponse:
    """The export of what `read` gives, batch after batch, each in a session of `factory`'s."""
    body = encode(batches(factory, read, limit), model, fmt, include)
    extension = "csv" if fmt == Format.CSV else "ndjson"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Cache-Control": policy.cache_control,
            "Vary": "Accept",
            "Content-Disposition": f'inline; filename="{filename}.{extension}"',
        },
    )
