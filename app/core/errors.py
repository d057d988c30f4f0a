"""Domain errors, and the one handler that renders every error as problem+json (RFC 9457)."""

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg.errors import LockNotAvailable
from psycopg_pool import PoolTimeout
from pydantic import Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolExhausted
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from app.core.schemas import Schema
from app.core.urls import condition_path
from app.models.kinds import SECTION_KIND_VALUES

PROBLEM_MEDIA_TYPE = "application/problem+json"
PATH_SAFE = "/:@!$&'()*+,;=~"  # what a path segment holds unencoded (RFC 3986 pchar)
logger = logging.getLogger("app.errors")


class FieldError(Schema):
    loc: list[str | int] = Field(description='Where the bad value is, e.g. ["query", "limit"].')
    msg: str
    type: str = Field(description="Machine-readable error type, e.g. less_than_equal.")


class Problem(Schema):
    """Every error response has this shape; some add members named in their description."""

    type: str = Field(
        description="URI naming the problem type.", examples=["urn:problem:not-found"]
    )
    title: str = Field(examples=["Condition not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No condition has the slug 'unknown-slug'."])
    instance: str = Field(
        description="Path of the request.", examples=["/v1/conditions/unknown-slug"]
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Each invalid field (422 only)."
    )


class AppError(Exception):
    """Base of domain errors: each carries its HTTP status, a problem type and a title."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR
    problem = "internal-error"
    title = "Internal server error"

    def __init__(
        self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extensions = extensions

    def response(self, request: Request) -> JSONResponse:
        """This error as its problem+json answer (also for middleware, outside the handlers)."""
        return problem_response(
            request, self.status, self.problem, self.title, self.detail, headers=self.headers,
            **self.extensions,
        )  # fmt: skip


class NotFoundError(AppError):
    status = HTTPStatus.NOT_FOUND
    problem = "not-found"
    title = "Not found"


class ConditionNotFound(NotFoundError):
    problem = "condition-not-found"
    title = "Condition not found"

    @classmethod
    def for_slug(cls, slug: str) -> "ConditionNotFound":
        return cls(f"No condition has the slug {slug!r}.", slug=slug)


class MovedPermanently(AppError):
    """A renamed record's old slug: 308 to the same path under the new slug (query kept), which
    clients follow with the same method and body."""

    status = HTTPStatus.PERMANENT_REDIRECT
    problem = "moved"
    title = "Moved permanently"

    @classmethod
    def to(cls, request: Request, slug: str, target: str) -> "MovedPermanently":
        # The rest of the path as sent (percent-encoded), so any byte in it survives a header.
        rest = quote(request.url.path.removeprefix(condition_path(slug)), safe=PATH_SAFE)
        location = condition_path(target) + rest
        if request.url.query:
            location += "?" + request.url.query
        return cls(f"{slug!r} was renamed {target!r}.", headers={"Location": location}, slug=target)


class SectionNotFound(NotFoundError):
    problem = "section-not-found"
    title = "Section not found"


class RevisionNotFound(NotFoundError):
    problem = "revision-not-found"
    title = "Revision not found"


class UnknownSectionKind(NotFoundError):
    problem = "unknown-section-kind"
    title = "Unknown section kind"

    @classmethod
    def for_name(cls, section: str) -> "UnknownSectionKind":
        return cls(
            f"{section!r} is not a section kind. Valid kinds: {', '.join(SECTION_KIND_VALUES)}.",
            section=section,
            valid_kinds=SECTION_KIND_VALUES,
        )


class InvalidParameter(AppError):
    """A parameter that passed type checks but is still unusable (e.g. a forged cursor)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    problem = "validation-error"
    title = "Invalid request"


class BadRequest(AppError):
    status = HTTPStatus.BAD_REQUEST
    problem = "bad-request"
    title = "Bad request"


class Unauthorized(AppError):
    status = HTTPStatus.UNAUTHORIZED
    problem = "unauthorized"
    title = "Unauthorized"


class InsufficientScope(AppError):
    status = HTTPStatus.FORBIDDEN
    problem = "insufficient-scope"
    title = "Forbidden"


class Conflict(AppError):
    status = HTTPStatus.CONFLICT
    problem = "conflict"
    title = "Conflict"


class RecordIncomplete(Conflict):
    problem = "record-incomplete"
    title = "Record incomplete"


class PreconditionFailed(AppError):
    status = HTTPStatus.PRECONDITION_FAILED
    problem = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(AppError):
    status = HTTPStatus.PRECONDITION_REQUIRED
    problem = "precondition-required"
    title = "Precondition required"


class UnsupportedMediaType(AppError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    problem = "unsupported-media-type"
    title = "Unsupported media type"


class ContentTooLarge(AppError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    problem = "content-too-large"
    title = "Content too large"


class RateLimited(AppError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    problem = "rate-limited"
    title = "Too many requests"


class ServiceUnavailable(AppError):
    """Busy for now (say when to retry in a Retry-After header)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    problem = "unavailable"
    title = "Service unavailable"


class DatabaseUnavailable(AppError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    problem = "database-unavailable"
    title = "Database unavailable"


class SchemaNotCurrent(AppError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    problem = "schema-not-current"
    title = "Database schema not current"


def problem_response(
    request: Request,
    status: int,
    problem: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:problem:{problem}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return exc.response(request)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    where = ", ".join(".".join(str(part) for part in error["loc"]) for error in errors)
    return problem_response(
        request,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "validation-error",
        "Invalid request",
        f"Invalid value for {where}." if where else "The request is invalid.",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = HTTPStatus(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else status.description
    headers = getattr(exc, "headers", None)
    if status == HTTPStatus.BAD_REQUEST and detail == "There was an error parsing the body":
        # FastAPI's answer to a body its JSON parser gives up on (invalid UTF-8, a number of
        # thousands of digits): the same 422 as any other body that is not valid JSON.
        return problem_response(
            request,
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation-error",
            "Invalid request",
            "The body is not valid JSON (UTF-8 text).",
            errors=[{"loc": ["body"], "msg": detail, "type": "json_invalid"}],
        )
    if status == HTTPStatus.NOT_FOUND and detail == "Not Found":
        detail = f"Nothing is served at {request.url.path}; see /docs for the endpoints."
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        # Starlette's Allow names the methods of the first route on the path only; a path
        # served by several routes (GET here, PUT there) allows all of theirs.
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem_response(
        request,
        status,
        status.phrase.lower().replace(" ", "-"),
        status.phrase,
        detail,
        headers=headers,
    )


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def allowed_methods(
    request: Request, counted: Callable[[BaseRoute], bool] = lambda route: True
) -> list[str]:
    """The methods some route (of those `counted`) fully matches on this path, asked of the
    router itself (HEAD with GET: the HEAD middleware answers it)."""
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(
            counted(route) and route.matches(scope)[0] == Match.FULL
            for route in request.app.router.routes
        ):
            allowed += ["GET", "HEAD"] if method == "GET" else [method]
    return allowed


# SQLite reports schema mistakes as OperationalError too; those are bugs (500), not outages.
_SQLITE_SCHEMA_ERRORS = ("no such table", "no such column", "syntax error")


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # SQLAlchemy's OperationalError or its pool's timeout, or, from the asyncio checks
    # (app.reads.reader), psycopg's own or its pool's timeout.
    orig = exc.orig if isinstance(exc, OperationalError) else exc
    if any(marker in str(orig) for marker in _SQLITE_SCHEMA_ERRORS):
        return await _unhandled_error(request, exc)
    busy = isinstance(orig, LockNotAvailable) or "database is locked" in str(orig)
    logger.error(
        "database busy" if busy else "database unavailable", extra={"error": type(orig).__name__}
    )
    error = DatabaseUnavailable(
        "Another change holds the data this request needs; try again shortly."
        if busy
        else "The database cannot be reached; try again shortly."
    )
    return problem_response(
        request,
        error.status,
        error.problem,
        error.title,
        error.detail,
        headers={"Retry-After": "5"},
    )


async def _unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    # The trace goes to the log, never to the client.
    logger.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(
        request,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal-error",
        "Internal server error",
        "An unexpected error occurred; it has been logged.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in (OperationalError, psycopg.OperationalError, PoolTimeout, PoolExhausted):
        app.add_exception_handler(error, _database_error)
    app.add_exception_handler(Exception, _unhandled_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem body for the given statuses (the
    Problem schema itself is added to the components by app.core.openapi)."""
    return {
        status: {
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }
