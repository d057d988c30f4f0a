"""Liveness and readiness probes for load balancers and orchestrators."""

from typing import Literal

from fastapi import APIRouter

from app.core.deps import SessionDep
from app.core.errors import problem_responses
from app.core.schemas import Schema
from app.health import repository

router = APIRouter(tags=["health"])


class HealthStatus(Schema):
    status: Literal["ok"]


class ReadyStatus(Schema):
    status: Literal["ok"]
    database: Literal["ok"]


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
def readyz(session: SessionDep) -> ReadyStatus:
    """The process can serve data: the database answers a query."""
    repository.ping(session)
    return ReadyStatus(status="ok", database="ok")
