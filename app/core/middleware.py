"""HTTP behaviour every response shares: a request id, security headers and a structured
access log. Plain ASGI middleware (no per-request task or body buffering)."""

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.conditional import ENCODING_SUFFIXES
from app.core.errors import ContentTooLarge

access_log = logging.getLogger("app.access")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "cross-origin",  # a public API, meant to be read anywhere
}
# Data responses load nothing; the docs pages set their own policy (app/docs).
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"


def _tag_encoding(headers: MutableHeaders) -> None:
    """A compressed body is different bytes, so its strong ETag gets the encoding appended
    ("abc" becomes "abc.br"); conditional requests match either form."""
    encoding = headers.get("content-encoding")
    etag = headers.get("etag")
    if encoding and etag and not etag.startswith("W/") and etag.endswith('"'):
        suffix = f".{encoding}"
        if suffix in ENCODING_SUFFIXES and not etag.endswith(f'{suffix}"'):
            headers["ETag"] = f'{etag[:-1]}{suffix}"'


def _merge_vary(headers: MutableHeaders) -> None:
    """One Vary field without repeats (the compression middleware appends its own)."""
    vary = headers.get("vary")
    if vary:
        names = dict.fromkeys(part.strip() for part in vary.split(",") if part.strip())
        headers["Vary"] = ", ".join(names)


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


class HeadAsGetMiddleware:
    """HEAD runs the GET route and sends its headers without the body (RFC 9110 §9.3.2), so
    Content-Length, ETag and Content-Encoding are what GET would give."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class RequestContextMiddleware:
    """Echoes X-Request-ID (the client's when it is sane, else a new one), adds the security
    headers, and logs one JSON access line per request: id, method, path, route name, status
    and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", DATA_CSP)
                _tag_encoding(headers)
                _merge_vary(headers)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
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
