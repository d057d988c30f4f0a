"""How FHIR resources are sent: application/fhir+json, whether Accept or `_format` asks for it
or for plain JSON, with the validators and caching headers of every other read."""

from typing import Annotated, Literal

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse
from fhir.resources.R4B.resource import Resource
from starlette_compress import add_compress_type

from app.core.conditional import CachePolicy, representation
from app.core.errors import UnsupportedMediaType
from app.core.negotiation import best_media_type

FHIR_JSON = "application/fhir+json"
_SERVED = [FHIR_JSON, "application/json"]  # both get the FHIR JSON, as FHIR servers do
# Beside the JSON types the compression library knows (app.main adds its own the same way).
add_compress_type(FHIR_JSON)


class FHIRJSONResponse(JSONResponse):
    """The media type the routes document; the bodies are built by `fhir_response`."""

    media_type = FHIR_JSON


FormatQuery = Annotated[
    Literal["json", "application/json", "application/fhir+json"] | None,
    Query(
        alias="_format",
        description="FHIR's override of `Accept`: JSON only (`json`, `application/json` or "
        "`application/fhir+json`); either way the answer is application/fhir+json.",
    ),
]


def check_accept(request: Request, format_: str | None) -> None:
    """A request that accepts neither FHIR JSON nor JSON (and has no `_format`) gets a 406."""
    if format_ is None:
        best_media_type(request, _SERVED)


def check_body_type(request: Request) -> None:
    """A Parameters body is FHIR JSON or JSON; anything else is a 415."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in _SERVED:
        raise UnsupportedMediaType(
            f"Send the Parameters as {' or '.join(_SERVED)}"
            + (f", not {media_type[:100]}." if media_type else " (no Content-Type was sent)."),
            accepted=_SERVED,
        )


def fhir_response(request: Request, resource: Resource, policy: CachePolicy | None) -> Response:
    """The resource as FHIR JSON; with a policy, with validators and caching headers (not for
    the answers to POST bodies, which caches do not keep)."""
    body = resource.model_dump_json().encode()
    if policy is None:
        return Response(body, media_type=FHIR_JSON)
    return representation(request, body, media_type=FHIR_JSON, policy=policy)
