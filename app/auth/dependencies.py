"""The dependency every write route declares: a key with the write scope, within the rate
limits. Its address is counted before the key is checked, so guessing keys is limited too."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer

from app.auth import keys
from app.core.credentials import presented_key
from app.core.ratelimit import RateLimits

# Declared for the OpenAPI document only (its security schemes and the docs' Authorize
# button); the key is read by `writer` below, which answers problem bodies.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The key, as is.")


WRITE_NEEDS_KEY = (
    "Writing needs an API key with the write scope: send Authorization: Bearer <key>, or X-API-Key."
)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def writer(
    request: Request,
    _bearer_doc: Annotated[object, Depends(_bearer)],
    _header_doc: Annotated[object, Depends(_header)],
) -> keys.Caller:
    limits: RateLimits = request.app.state.rate_limits
    limits.hit(limits.writes, "write-address", client_address(request))
    key = presented_key(request.headers)
    caller = keys.authenticate(request.app.state.session_factory, key) if key else None
    caller = keys.authorized(caller, key, keys.Scope.WRITE, WRITE_NEEDS_KEY)
    limits.hit(limits.writes, "write-key", caller.key_name)
    return caller


WriterDep = Annotated[keys.Caller, Depends(writer)]
