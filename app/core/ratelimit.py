"""Rate limits per API key and per client address, counted by the `limits` library in the
storage its URI names: `memory://` counts per worker process; `redis://…` or `memcached://…`
share one count between every worker and machine.

A shared storage that does not answer never fails a request: each process counts in its own
memory meanwhile (the limit then holds per process, as with `memory://`), logs a warning, and
asks the storage again after STORAGE_RETRY_S."""

import hashlib
import logging
import math
import time

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.credentials import presented_key
from app.core.errors import RateLimited
from app.core.urls import is_read, serves_content


def parse_limit(text: str) -> RateLimitItem | None:
    """`60/minute`, `10 per second`…; an empty text is no limit. Raises ValueError."""
    return parse(text) if text.strip() else None


STORAGE_RETRY_S = 30.0
STORAGE_TIMEOUT_S = 0.5  # a shared storage slower than this counts as down for the request
logger = logging.getLogger("app.ratelimit")


def _storage(uri: str, prefix: str) -> Storage:
    options: dict[str, float | str | bool] = {"wrap_exceptions": True}
    if uri.startswith(("redis://", "rediss://")):
        options |= {
            "key_prefix": prefix,
            "socket_timeout": STORAGE_TIMEOUT_S,
            "socket_connect_timeout": STORAGE_TIMEOUT_S,
        }
    storage = storage_from_string(uri, **options)
    assert isinstance(storage, Storage)  # a synchronous storage: the URIs name no aio one
    return storage


class RateLimits:
    def __init__(self, storage_uri: str, writes: str, reads: str, prefix: str) -> None:
        self._limiter = MovingWindowRateLimiter(_storage(storage_uri, prefix))
        shared = not storage_uri.startswith("memory://")
        self._fallback = MovingWindowRateLimiter(MemoryStorage()) if shared else None
        self._down_until = 0.0  # time.monotonic() until which the shared storage is not asked
        self.writes = parse_limit(writes)
        self.reads = parse_limit(reads)

    def _counted(self, limit: RateLimitItem, kind: str, who: str) -> tuple[bool, float]:
        """Whether the request is within the limit, and when the window frees a place."""
        limiter = self._limiter
        if self._fallback is not None and time.monotonic() < self._down_until:
            limiter = self._fallback
        try:
            allowed = limiter.hit(limit, kind, who)
            return allowed, 0.0 if allowed else limiter.get_window_stats(
                limit, kind, who
            ).reset_time
        except StorageError as exc:
            if self._fallback is None or limiter is self._fallback:
                raise
            self._down_until = time.monotonic() + STORAGE_RETRY_S
            logger.warning(
                "rate limit storage unreachable; counting in this process",
                extra={"error": str(exc.storage_error)[:200], "retry_s": STORAGE_RETRY_S},
            )
            return self._counted(limit, kind, who)

    def hit(self, limit: RateLimitItem | None, kind: str, who: str) -> None:
        """Count one request of `who` (a key name or an address); 429 past the limit, with
        Retry-After the seconds until the oldest counted request leaves the window."""
        if limit is None:
            return
        allowed, reset = self._counted(limit, kind, who)
        if allowed:
            return
        retry_after = max(1, math.ceil(reset - time.time()))
        raise RateLimited(
            f"More than {limit} for this {kind.split('-')[-1]}; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
            limit=str(limit),
            retry_after=retry_after,
        )


class ReadRateLimitMiddleware:
    """READ_RATE_LIMIT on reads under /v1 and /fhir (GET, HEAD, and the reads sent as POST), per
    client address, and per key too when one is sent (by its hash: a shared storage never sees
    a secret). A made-up key adds a bucket but never escapes the address's. Added only when
    the setting is set."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not serves_content(get_route_path(scope))
            or not is_read(scope["method"], get_route_path(scope))
        ):
            await self.app(scope, receive, send)
            return
        key = presented_key(Headers(scope=scope))
        client = scope.get("client")
        try:
            self.limits.hit(self.limits.reads, "read-address", client[0] if client else "unknown")
            if key:
                digest = hashlib.sha256(key.encode()).hexdigest()[:32]
                self.limits.hit(self.limits.reads, "read-key", digest)
        except RateLimited as exc:
            await exc.response(Request(scope))(scope, receive, send)
            return
        await self.app(scope, receive, send)
