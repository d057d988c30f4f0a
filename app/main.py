"""The application factory: settings, database, routers, error handlers."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette_compress import CompressMiddleware, add_compress_type

from app import __version__
from app.api import include_api
from app.auth.middleware import ReadAccessMiddleware
from app.core.conditional import CachePolicy
from app.core.config import Settings, get_settings
from app.core.db import changed_content, create_db_engine
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import BodyLimitMiddleware, EdgeMiddleware
from app.core.migrations import head_revision
from app.core.openapi import install_openapi, register_examples
from app.core.ratelimit import RateLimits, ReadRateLimitMiddleware
from app.core.routing import include_flat, install_route_index, operation_id
from app.docs.examples import route_examples
from app.docs.router import install_docs
from app.health.router import router as health_router
from app.reads.cache import ResponseCache
from app.reads.reader import Reader
from app.reads.replica import Replica
from app.reads.service import Reads
from app.reads.snapshots import Versioned
from app.releases.dumps import Dumps

DESCRIPTION = """
Structured content about medical conditions: overview, causes, symptoms, diagnosis, treatments,
drugs and more, each section at its own URL, with codes (ICD-10-CM, Orphanet, Mondo) and the
provenance of every record.

Every error is an `application/problem+json` body (RFC 9457). The content is for general
information only and is not medical advice: show each record's `disclaimer` with it.
"""


# Beside the JSON types the library compresses: errors and the streamed exports.
add_compress_type("application/problem+json")
add_compress_type("text/csv", streaming=True)
add_compress_type("application/x-ndjson", streaming=True)


def _forget_after_changes(app: FastAPI) -> Callable[[Session], None]:
    def forget(session: Session) -> None:
        if changed_content(session):
            app.state.reads.read.committed()

    return forget


def read_replica(settings: Settings) -> Replica | None:
    if not settings.database_read_url:
        return None
    return Replica(
        settings.database_read_url, settings.read_replica_max_lag_s, settings.statement_timeout_ms
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = create_db_engine(settings.database_url, settings.statement_timeout_ms)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)  # here, so every worker process gets it
        await app.state.reads.read.open()  # per worker: connections are not shared by forks
        yield
        await app.state.reads.read.aclose()
        engine.dispose()

    app = FastAPI(
        title="Condition Content API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
        generate_unique_id_function=operation_id,
        # Off unless asked for: on, every request asks OpenTelemetry for its providers.
        telemetry={
            "tracing": settings.telemetry,
            "metrics": settings.telemetry,
            "logs": settings.telemetry,
        },
        openapi_tags=[
            {"name": "conditions", "description": "Condition records and their sections."},
            {
                "name": "editing",
                "description": "Writing records (a key with the write scope and If-Match), "
                "their revisions, and the feed of changes.",
            },
            {
                "name": "genes",
                "description": "Genes the HPO gene annotations associate with diseases (an "
                "association, not a proven cause), and the conditions that list them.",
            },
            {
                "name": "fhir",
                "description": "A read-only FHIR R4 terminology facade (CodeSystem/$lookup, "
                "ValueSet/$expand, ConceptMap/$translate): application/fhir+json, errors as "
                "OperationOutcome.",
            },
            {"name": "health", "description": "Probes for load balancers and orchestrators."},
            {
                "name": "releases",
                "description": "Content releases (the source versions each holds) and the "
                "current one's whole corpus as one download, for mirrors.",
            },
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.schema_head = head_revision()
    app.state.reads = Reads(
        read=Reader(
            engine,
            settings.statement_timeout_ms,
            settings.read_staleness_s,
            replica=read_replica(settings),
        ),
        cache=ResponseCache(settings.response_cache_mb * 1024 * 1024),
        policy=CachePolicy(max_age=settings.cache_max_age),
    )
    # Sessions on the primary: writes, and the reads a write path checks.
    app.state.session_factory = app.state.reads.read.primary_factory
    # This worker's own changes are seen at once, not when their notification comes back.
    event.listen(app.state.session_factory, "after_commit", _forget_after_changes(app))
    app.state.search = Versioned()  # the search snapshot (app.search.snapshot)
    app.state.dumps = Dumps(app.state.session_factory, app.state.reads.cache)
    app.state.rate_limits = RateLimits(
        settings.rate_limit_storage,
        settings.write_rate_limit,
        settings.read_rate_limit,
        settings.rate_limit_prefix,
    )
    install_error_handlers(app)
    register_examples(route_examples())
    install_openapi(app)
    install_docs(app)
    # Outermost last. The edge (request id, security headers, HEAD as GET, CORS for requests
    # with an Origin, access log) applies to every response, the others' answers included;
    # HEAD gets the headers and compression GET would get.
    app.add_middleware(CompressMiddleware, minimum_size=settings.compress_minimum_size)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.reads_require_key:
        app.add_middleware(ReadAccessMiddleware, factory=app.state.session_factory)
    if app.state.rate_limits.reads is not None:
        app.add_middleware(ReadRateLimitMiddleware, limits=app.state.rate_limits)
    app.add_middleware(
        EdgeMiddleware,
        cors={
            "allow_origins": settings.cors_origin_list,
            "allow_methods": ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
            "allow_headers": [
                "If-None-Match",
                "If-Match",
                "X-Request-ID",
                "Accept",
                "Accept-Encoding",
                "Authorization",
                "X-API-Key",
                "Content-Type",
            ],
            "expose_headers": ["Link", "X-Request-ID", "ETag", "Retry-After", "Location"],
            "max_age": 600,
        },
    )
    include_api(app)
    include_flat(app, [health_router])
    install_route_index(app)
    return app


app = create_app()
