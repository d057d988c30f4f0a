"""The read replica (DATABASE_READ_URL): a PostgreSQL hot standby that takes the reads' work,
and the watch that says, every CHECK_INTERVAL_S, whether it may.

A read goes to the replica only when the replica answers, lags the primary by at most
`max_lag_s`, and has replayed the primary's current content version (see Reader.read_engine):
so a client that has just written, through any process, reads its write, and a replica that
is down, far behind or cut off from the primary costs no request more than the fall-back to
the primary. The version checks, one primary-key row each and remembered between change
notifications, stay on the primary, which is what makes every answer exact.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from app.core.db import create_db_engine, postgres_timeouts

log = logging.getLogger("app.replica")

CHECK_INTERVAL_S = 1.0
# Seconds since the standby last replayed a transaction, counted only while it has received WAL
# it has not replayed yet (a standby that has replayed everything lags by 0, however quiet the
# primary); its content version; and whether it is a standby at all (a promoted one is not).
WATCH = """
SELECT pg_is_in_recovery(),
       CASE WHEN NOT pg_is_in_recovery()
              OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
            THEN 0.0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0.0)
       END::float8,
       (SELECT version FROM content_version WHERE id = 1)
"""

Status = Literal["ok", "lagging", "down", "starting"]


@dataclass(frozen=True)
class ReplicaState:
    status: Status
    replay_lag_s: float | None = None
    content_version: int | None = None  # what the standby has replayed, when last asked
    in_recovery: bool | None = None


class Replica:
    """The replica's engine, for the reads' work, and what its watch last saw."""

    def __init__(self, url: str, max_lag_s: float, statement_timeout_ms: int | None = None) -> None:
        self.engine: Engine = create_db_engine(url, statement_timeout_ms)
        self._max_lag_s = max_lag_s
        self._timeouts = postgres_timeouts(statement_timeout_ms)
        self.state = ReplicaState("starting")
        self._watch: asyncio.Task[None] | None = None
        # A connection that fails marks the replica down at once, not at the next watch.
        event.listen(self.engine, "handle_error", self._on_error)

    def serves(self, version: int) -> bool:
        """Whether a read that must see content `version` (or later) may go to the replica."""
        state = self.state
        return (
            state.status == "ok"
            and state.content_version is not None
            and state.content_version >= version
        )

    def failed(self, error: BaseException) -> None:
        """A read on the replica failed for want of a connection: the primary takes the reads
        until the watch sees the replica answer again."""
        if self.state.status != "down":
            log.warning(
                "read replica unreachable; reads go to the primary",
                extra={"error": type(error).__name__},
            )
        self.state = ReplicaState("down")

    def _on_error(self, context: ExceptionContext) -> None:
        if context.is_disconnect or context.connection is None:
            self.failed(context.original_exception)

    # -- the watch (the app's lifespan)
    async def open(self) -> None:
        if self._watch is None:
            self._watch = asyncio.create_task(self._keep_watching())

    async def aclose(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
        self.engine.dispose()

    async def _keep_watching(self) -> None:
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                async with await AsyncConnection.connect(
                    url, autocommit=True, **self._timeouts
                ) as connection:
                    while True:
                        cursor = await connection.execute(WATCH)
                        row = await cursor.fetchone()
                        assert row is not None
                        self._saw(*row)
                        await asyncio.sleep(CHECK_INTERVAL_S)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the standby stopped, restarted, the network dropped
                self.failed(exc)
            await asyncio.sleep(CHECK_INTERVAL_S)

    def _saw(self, in_recovery: bool, lag_s: float, version: Any) -> None:
        status: Status = "lagging" if lag_s > self._max_lag_s else "ok"
        if status != self.state.status:
            message = "read replica serves reads" if status == "ok" else "read replica lags"
            log.info(message, extra={"replay_lag_s": round(lag_s, 3)})
        self.state = ReplicaState(
            status, round(lag_s, 3), None if version is None else int(version), in_recovery
        )
