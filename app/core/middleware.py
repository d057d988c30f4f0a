"""HTTP behaviour every response shares: a request id, security headers, HEAD, CORS, the body
limit and a structured access log. Plain ASGI middleware (no per-request task or body
buffering)."""

import logging
import os
import re
import time
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.conditional import ENCODING_SUFFIXES
from app.core.errors import ContentTooLarge

access_log = logging.getLogger("app.access")

_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "cross-origin",  # a public API, meant to be read anywhere
    # Data responses load nothing; the docs pages set their own policy (app/docs).
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
_SECURITY_PAIRS = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in SECURITY_HEADERS.items()
)


class BodyLimitMiddleware:
    """Request bodies over the limit get a 413 problem: at once when Content-Length says so,
    else as soon as a chunked body grows past it, before the route parses anything. (Starlette
    and FastAPI have such a limit, but they answer it in plain text, not our problem shape.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        refusal = ContentTooLarge(
            f"The request body is {size} bytes; at most {self.max_bytes} are accepted.",
            max_bytes=self.max_bytes,
        )
        await refusal.response(Request(scope))(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared in ("", "0") and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (every GET): nothing to count
            return
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, declared)
            return
        received = 0
        too_large = started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # End the body here; whatever the app then answers is replaced below.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return  # the 413 goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except Exception:
            if not too_large or started:
                raise
        if too_large and not started:
            await self._refuse(scope, receive, send, f"more than {self.max_bytes}")


class EdgeMiddleware:
    """The outermost layer, one pure-ASGI pass per request: echoes X-Request-ID (the client's
    when it is sane, else a new one), answers HEAD as GET without the body (RFC 9110 §9.3.2,
    so Content-Length, ETag and Content-Encoding are what GET would give), adds the security
    headers, tags the ETag of a compressed body, merges Vary, and logs one JSON access line:
    id, method, path, route name, status and duration.

    CORS is Starlette's middleware, given the requests that carry an Origin. The others (curl,
    servers, most of the traffic) skip it: all it would do is add Origin to Vary, done here. The
    request headers are read once, as the raw list, and the response's headers are appended as
    prebuilt byte pairs, so a plain GET costs a few microseconds here."""

    def __init__(self, app: ASGIApp, cors: dict[str, Any]) -> None:
        self.app = app
        self.with_cors = CORSMiddleware(app, **cors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = b""
        has_origin = False
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value
            elif name == b"origin":
                has_origin = True
        request_id = (
            given.decode("latin-1")
            if given and _VALID_REQUEST_ID.match(given)
            else _new_request_id()
        )
        started = time.perf_counter()
        status = 500
        head = scope["method"] == "HEAD"
        # The Vary names a response must carry beyond its own; CORS adds Origin when it runs.
        extra_vary = () if has_origin else (b"Origin",)

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                message["headers"] = _finished_headers(
                    message.get("headers", ()), request_id.encode("latin-1"), extra_vary
                )
            elif head and kind == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        inner = self.with_cors if has_origin else self.app
        try:
            await inner({**scope, "method": "GET"} if head else scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    # The matched route by name (get_symptoms...): stable, and groups requests.
                    "route": getattr(route, "name", None),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def _new_request_id() -> str:
    """A new request id: 128 random bits in hex, as uuid.uuid4().hex gives (at a quarter of
    its cost)."""
    return os.urandom(16).hex()


def _finished_headers(
    headers: Iterable[tuple[bytes, bytes]], request_id: bytes, extra_vary: tuple[bytes, ...]
) -> list[tuple[bytes, bytes]]:
    """The response's headers with the request id, the security headers it lacks, one Vary
    field without repeats, and the encoding appended to a strong ETag of a compressed body
    ("abc" becomes "abc.br"; conditional requests match either form)."""
    kept: list[tuple[bytes, bytes]] = []
    present: set[bytes] = set()
    vary: list[bytes] = []
    etag = encoding = b""
    for name, value in headers:
        if name == b"vary":
            vary.append(value)
            continue
        if name == b"x-request-id":
            continue
        if name == b"etag":
            etag = value
        elif name == b"content-encoding":
            encoding = value
        present.add(name)
        kept.append((name, value))
    if encoding and etag and not etag.startswith(b"W/") and etag.endswith(b'"'):
        suffix = b"." + encoding
        if suffix.decode("latin-1") in ENCODING_SUFFIXES and not etag.endswith(suffix + b'"'):
            kept = [(n, etag[:-1] + suffix + b'"' if n == b"etag" else v) for n, v in kept]
    if vary or extra_vary:
        names = dict.fromkeys(
            part.strip()
            for value in [*vary, *extra_vary]
            for part in value.split(b",")
            if part.strip()
        )
        kept.append((b"vary", b", ".join(names)))
    kept.append((b"x-request-id", request_id))
    kept.extend(pair for pair in _SECURITY_PAIRS if pair[0] not in present)
    return kept
