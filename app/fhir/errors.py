"""Errors under /fhir as OperationOutcome resources. The app's one error handler still decides
each error's status, headers and detail (and logs what it logs): FHIRRoute only reshapes its
problem body for FHIR clients, and `not_served` answers the paths under /fhir no route has.
Refusals that the middleware makes before any route (413 for a body over MAX_BODY_BYTES) stay
problem+json."""

import inspect
import json
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import METHODS, NotFoundError, allowed_methods
from app.core.urls import FHIR_PREFIX
from app.fhir.negotiation import FHIR_JSON
from app.fhir.systems import SYSTEMS_HELD

# The OperationOutcome issue type of each status (FHIR's http page maps them the same way).
_ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-long",
    415: "not-supported",
    429: "throttled",
    503: "transient",
}
# A pattern's own text says little: what a `system` parameter may name, in words.
_PATTERN_HINTS = {"system": SYSTEMS_HELD, "targetsystem": SYSTEMS_HELD}


class NotHeld(NotFoundError):
    """A canonical URL (value set, concept map) this server does not hold."""

    problem = "not-held"
    title = "Not held here"


def issue_type(status: int) -> str:
    return _ISSUE_TYPES.get(status, "exception" if status >= 500 else "processing")


def outcome_response(
    status: int, issues: list[tuple[str, str | None]], headers: dict[str, str] | None = None
) -> Response:
    """An OperationOutcome of (diagnostics, expression) issues, all of the status's type."""
    outcome = OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error",
                code=issue_type(status),
                diagnostics=diagnostics,
                expression=[expression] if expression else None,
            )
            for diagnostics, expression in issues
        ]
    )
    body = outcome.model_dump_json().encode()
    return Response(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def _expression(loc: list[Any]) -> str:
    """The parameter a problem's `loc` names: `system` for ["query", "system"], and
    Parameters.parameter[1].valueCode in a Parameters body."""
    where, *path = loc or ["request"]
    if where == "body":
        steps = (f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
        return "Parameters" + "".join(steps)
    return str(path[0]) if path else str(where)


def _diagnostics(error: dict[str, Any]) -> str:
    name = _expression(error["loc"])
    hint = _PATTERN_HINTS.get(name) if error["type"] == "string_pattern_mismatch" else None
    return f"{name}: {hint or error['msg']}"


async def _problem(request: Request, exc: Exception) -> Response:
    """The app's own answer to `exc` (the handler registered for its class, or a base's)."""
    handlers = request.app.exception_handlers
    handler = next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)
    answer = handler(request, exc)
    response: Response = await answer if inspect.isawaitable(answer) else answer
    return response


async def outcome_for(request: Request, exc: Exception) -> Response:
    """`exc` answered as the rest of the API answers it, its body an OperationOutcome. Bad
    parameters are 400, as FHIR servers answer them, where the rest of the API says 422."""
    problem = await _problem(request, exc)
    body = json.loads(bytes(problem.body))
    status = HTTPStatus.BAD_REQUEST if problem.status_code == 422 else problem.status_code
    headers = {
        name: value
        for name, value in problem.headers.items()
        if name not in ("content-length", "content-type")
    }
    errors = body.get("errors") or []
    issues: list[tuple[str, str | None]] = [
        (_diagnostics(error), _expression(error["loc"])) for error in errors
    ]
    return outcome_response(status, issues or [(body["detail"], None)], headers)


class FHIRRoute(APIRoute):
    """A route whose errors, its parameters' included, are OperationOutcomes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_fhir(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as exc:  # every error: the app's handlers decide which answer
                return await outcome_for(request, exc)

        return handle_fhir


# The catch-all answers these (OPTIONS too: a FHIR client may ask what a path allows).
_METHODS = [*METHODS, "OPTIONS"]


async def not_served(request: Request) -> Response:
    """A path under /fhir that no FHIR route serves in this method: 405 naming the methods of
    the routes that serve it, else 404."""
    allowed = allowed_methods(
        request,
        lambda route: isinstance(route, FHIRRoute) and route.endpoint is not not_served,
    )
    if allowed:
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: "
        return outcome_response(
            405, [(detail + ", ".join(allowed) + ".", None)], {"Allow": ", ".join(allowed)}
        )
    raise StarletteHTTPException(HTTPStatus.NOT_FOUND)


# The catch-all route's paths and methods (app.fhir.router declares it last).
NOT_SERVED_PATHS = (FHIR_PREFIX, FHIR_PREFIX + "/{path:path}")
NOT_SERVED_METHODS = _METHODS
