"""Liveness and readiness probes for load balancers and orchestrators."""

from typing import Literal

from fastapi import Request
from pydantic import Field

from app.core.deps import SessionDep
from app.core.errors import SchemaNotCurrent, problem_responses
from app.core.routing import api_router
from app.core.schemas import Schema
from app.health import repository
from app.reads.replica import Replica

router = api_router("health", prefix="")


class HealthStatus(Schema):
    status: Literal["ok"]


class ReplicaStatus(Schema):
    status: Literal["not_configured", "starting", "ok", "lagging", "down", "not_standby"] = Field(
        description="`ok`: the read replica takes the reads it has caught up with; "
        "`lagging` (past READ_REPLICA_MAX_LAG_S), `down` and `not_standby` (promoted): "
        "every read goes to the primary, and the service stays ready."
    )
    replay_lag_s: float | None = Field(
        description="How long ago the primary first stood at a position the replica has not "
        "replayed yet (0 when it has replayed all the process knows of), when last asked "
        "(every second); null when not known."
    )


class ReadyStatus(Schema):
    status: Literal["ok"]
    database: Literal["ok"]
    schema_revision: str = Field(description="The migration the database is at.")
    replica: ReplicaStatus


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
    """The process can serve data: the (primary) database answers and its schema is the one
    this release expects. The read replica's state is reported; it does not make the process
    unready, since the primary takes the reads it cannot."""
    expected: str | None = request.app.state.schema_head
    found = repository.schema_revision(session)
    if found != expected:
        raise SchemaNotCurrent(
            f"The database schema is at {found or 'no revision'}; this release needs "
            f"{expected}. Run `python -m app migrate`.",
            schema_revision=found,
            expected_revision=expected,
        )
    replica: Replica | None = request.app.state.reads.read.replica
    state = ReplicaStatus(status="not_configured", replay_lag_s=None)
    if replica is not None:
        status, lag = replica.status()
        state = ReplicaStatus(status=status, replay_lag_s=lag)
    return ReadyStatus(status="ok", database="ok", schema_revision=found, replica=state)
