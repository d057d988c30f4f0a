"""The API key a request presents, read in one place for the read gate, the write dependency
and the rate limits."""

from starlette.datastructures import Headers

REALM = 'Bearer realm="condition-content-api"'


def presented_key(headers: Headers) -> str | None:
    """The key from `Authorization: Bearer …` or `X-API-Key`, if any."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key", "").strip() or None
