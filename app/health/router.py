"""Liveness and readiness probes for load balancers and orchestrators."""

from typing import Literal

from fastapi import Request
from pydantic import Field

from app.core.deps import SessionDep
from app.core.errors import SchemaNotCurrent, problem_responses
from app.core.routing import api_router
from app.core.schemas import Schema
from app.health import repository

router = api_router("health", prefix="")


class HealthStatus(Schema):
    status: Literal["ok"]


class ReadyStatus(Schema):
    status: Literal["ok"]
    database: Literal["ok"]
    schema_revision: str = Field(description="The migration the database is at.")


@router.get("/healthz", response_model=HealthStatus, summary="Liveness")
def healthz() -> HealthStatus:
    """The process is up. Touches no database, so a database outage does not restart workers."""
    return HealthStatus(status="ok")


@router.get(
    "/readyz",
    response_model=ReadyStatus,
    summary="Readiness",
    responses=problem_responses(503),
)
def readyz(session: SessionDep, request: Request) -> ReadyStatus:
    """The process can serve data: the database answers and its schema is the one this
    release expects."""
    expected: str | None = request.app.state.schema_head
    found = repository.schema_revision(session)
    if found != expected:
        raise SchemaNotCurrent(
            f"The database schema is at {found or 'no revision'}; this release needs "
            f"{expected}. Run `python -m app migrate`.",
            schema_revision=found,
            expected_revision=expected,
        )
    return ReadyStatus(status="ok", database="ok", schema_revision=found)
