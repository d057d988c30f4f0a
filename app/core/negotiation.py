"""Content negotiation: which representation a request gets, from `?format=` or `Accept`."""

from enum import StrEnum
from http import HTTPStatus
from typing import Annotated, Any

import mimeparse
from fastapi import Query, Request

from app.core.conditional import NOT_MODIFIED
from app.core.errors import AppError, InvalidParameter, problem_responses


class Format(StrEnum):
    JSON = "json"
    JSONLD = "jsonld"
    CSV = "csv"
    NDJSON = "ndjson"


MEDIA_TYPES = {
    Format.JSON: "application/json",
    Format.JSONLD: "application/ld+json",
    Format.CSV: "text/csv",
    Format.NDJSON: "application/x-ndjson",
}


class RecordFormat(StrEnum):
    """The formats of one record or section."""

    JSON = "json"
    JSONLD = "jsonld"


class ListFormat(StrEnum):
    """The formats of a list; csv and ndjson stream every matching row."""

    JSON = "json"
    CSV = "csv"
    NDJSON = "ndjson"


RECORD_FORMATS = tuple(Format(value) for value in RecordFormat)
LIST_FORMATS = tuple(Format(value) for value in ListFormat)


class NotAcceptable(AppError):
    status = HTTPStatus.NOT_ACCEPTABLE
    problem = "not-acceptable"
    title = "Not acceptable"


def best_media_type(request: Request, offered: list[str]) -> str:
    """The best of `offered` for the request's `Accept`; the first on a tie or with no Accept
    at all; 406 when none is acceptable."""
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return offered[0]
    # mimeparse breaks ties in favour of the last candidate: the first goes last.
    try:
        best = mimeparse.best_match(list(reversed(offered)), accept)
    except ValueError:  # a malformed media range
        best = ""
    if not best:
        raise NotAcceptable(
            f"None of the media types in Accept ({accept[:200]}) is served here; "
            f"available: {', '.join(offered)}.",
            available=offered,
        )
    return str(best)


def takes_gzip(accept_encoding: str | None) -> bool:
    """Whether a client takes gzip: with no Accept-Encoding any coding is acceptable (RFC 9110
    §12.5.3); else gzip (or `*`) must be listed with a quality above 0. For bodies coded here
    rather than by the compression middleware (the corpus dump)."""
    if accept_encoding is None:
        return True
    qualities: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        qualities[coding.strip().lower()] = quality
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def negotiate(request: Request, offered: tuple[Format, ...], given: str | None) -> Format:
    """`?format=` wins; else the best of `Accept` (JSON on a tie, or with no Accept at all)."""
    if given is not None:
        return Format(given)
    best = best_media_type(request, [MEDIA_TYPES[fmt] for fmt in offered])
    return next(fmt for fmt in offered if MEDIA_TYPES[fmt] == best)


_FORMAT_DESCRIPTION = (
    "Representation to send, instead of asking by `Accept`: {}. Unsupported `Accept` → 406."
)


ListFormatQuery = Annotated[
    ListFormat | None,
    Query(
        alias="format",
        description=_FORMAT_DESCRIPTION.format(
            "`json` (application/json, a page), `csv` (text/csv) or `ndjson` "
            "(application/x-ndjson); csv and ndjson stream every matching row"
        ),
    ),
]


def format_responses(offered: tuple[Format, ...]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the other media types of a 200, the 304 and the 406."""
    others = {
        MEDIA_TYPES[fmt]: {"schema": {"type": "string" if fmt != Format.JSONLD else "object"}}
        for fmt in offered
        if fmt != Format.JSON
    }
    return {200: {"content": others}, **NOT_MODIFIED, **problem_responses(406)}


# The record and section routes, the hottest, read `format` (and `fields`) from the query
# themselves: each parameter FastAPI parses costs more per request than the whole cached read.
# These describe them in the OpenAPI document (openapi_extra) from the same enum.
def query_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"anyOf": [schema, {"type": "null"}], "title": name.capitalize()},
        "description": description,
    }


RECORD_FORMAT_PARAMETER = query_parameter(
    "format",
    {"type": "string", "enum": [fmt.value for fmt in RecordFormat]},
    _FORMAT_DESCRIPTION.format(
        "`json` (application/json) or `jsonld` (application/ld+json, schema.org)"
    ),
)


def record_format(request: Request) -> Format:
    """The record format asked for by `?format=` (checked like a declared parameter) or Accept."""
    given = request.query_params.get("format")
    if given is not None and given not in RecordFormat._value2member_map_:
        allowed = " or ".join(repr(fmt.value) for fmt in RecordFormat)
        raise InvalidParameter(
            f"Invalid value for query.format: {given[:100]!r}.",
            errors=[
                {"loc": ["query", "format"], "msg": f"Input should be {allowed}", "type": "enum"}
            ],
        )
    return negotiate(request, RECORD_FORMATS, given)
