"""When READS_REQUIRE_KEY is on: every request under /v1 or /fhir must carry a key with the read
scope.
Plain ASGI, added only when the setting is on, so open reads pay nothing for it."""

from sqlalchemy.orm import Session, sessionmaker
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import keys
from app.core.credentials import presented_key
from app.core.errors import AppError
from app.core.urls import serves_content

READ_NEEDS_KEY = "Reading needs an API key: send Authorization: Bearer <key>, or X-API-Key."


def _private(send: Send) -> Send:
    """Answers to keyed reads are for that client only: no shared cache may keep them."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if "cache-control" in headers:
                headers["Cache-Control"] = headers["cache-control"].replace("public", "private")
            headers.add_vary_header("Authorization")
        await send(message)

    return send_private


class ReadAccessMiddleware:
    def __init__(self, app: ASGIApp, factory: sessionmaker[Session]) -> None:
        self.app = app
        self.factory = factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not serves_content(get_route_path(scope)):
            await self.app(scope, receive, send)
            return
        key = presented_key(Headers(scope=scope))
        caller = await run_in_threadpool(keys.authenticate, self.factory, key) if key else None
        if caller is not None and caller.may(keys.Scope.READ):
            await self.app(scope, receive, _private(send))
            return
        try:
            keys.authorized(caller, key, keys.Scope.READ, READ_NEEDS_KEY)
        except AppError as refusal:
            await refusal.response(Request(scope))(scope, receive, send)
