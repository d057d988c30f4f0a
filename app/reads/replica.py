"""The read replica (DATABASE_READ_URL): a PostgreSQL hot standby that takes the reads' work,
and the watch that says, every CHECK_INTERVAL_S, whether it may.

Whether the standby holds what a read must see is told by WAL positions, which every change
of every table moves: the process keeps the highest primary position it knows (`required`),
taken after each version check on the primary, each change notification and each commit of
its own, so it is at or past every commit any check or write of this process has seen. A read
goes to the standby only when it is up, lags at most `max_lag_s`, and has replayed `required`
(a build asks on its own connection; see Reader). So an answer is never older than the check
that keyed it, and a client reads its own writes.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Literal

from psycopg import AsyncConnection
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError

from app.core.db import create_db_engine, postgres_timeouts

log = logging.getLogger("app.replica")

CHECK_INTERVAL_S = 1.0
WATCH_TIMEOUT_S = 3.0  # a standby that does not answer the watch in this time is down
# Reads a standby may fail for reasons of its own, safe to repeat on the primary: a recovery
# conflict (it cancelled the query to replay WAL), and it shutting down or starting up.
REPLICA_ONLY_FAILURES = {"40001", "40P01", "57P01", "57P02", "57P03"}
SAMPLES = 4096  # primary positions kept to tell the lag by (at most 20 a second)
SAMPLE_EVERY_S = 0.05

Status = Literal["starting", "ok", "lagging", "down", "not_standby"]


def lsn(text: str) -> int:
    """A PostgreSQL WAL position (`16/B374D848`) as a number."""
    high, low = text.split("/")
    return int(high, 16) << 32 | int(low, 16)


def _position(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def replica_failure(error: DBAPIError) -> bool:
    """Whether a read that failed on the standby should be read again from the primary: the
    standby went away, or failed it for a reason of its own (not a timeout, not a bug)."""
    code = getattr(error.orig, "sqlstate", None)
    return error.connection_invalidated or code is None or code in REPLICA_ONLY_FAILURES


@dataclass(frozen=True)
class ReplicaState:
    status: Status
    replay_lag_s: float | None = None
    replayed: int = 0  # the WAL position the standby had replayed when last asked
    seen_at: float = 0.0  # time.monotonic() of that answer


class Replica:
    """The standby's engine, for the reads' work, what its watch last saw, and the primary
    positions a read must find replayed."""

    def __init__(self, url: str, max_lag_s: float, statement_timeout_ms: int | None = None) -> None:
        self.engine: Engine = create_db_engine(url, statement_timeout_ms)
        self._max_lag_s = max_lag_s
        self._timeouts = postgres_timeouts(statement_timeout_ms)
        self.state = ReplicaState("starting")
        self.required = 0  # the highest primary position this process knows
        self._samples: deque[tuple[int, float]] = deque(maxlen=SAMPLES)
        self._watch: asyncio.Task[None] | None = None
        # A connection that cannot be made marks the standby down at once, not at the next look.
        event.listen(self.engine, "handle_error", self._on_error)

    # -- what the reads ask
    def usable(self) -> bool:
        return self.state.status == "ok" and self._fresh(self.state)

    def status(self) -> tuple[Status, float | None]:
        """The state to report, and the replay lag: a watch that has not answered lately
        means the standby is down."""
        state = self.state
        if state.status in ("ok", "lagging") and not self._fresh(state):
            return "down", None
        return state.status, state.replay_lag_s

    @staticmethod
    def _fresh(state: ReplicaState) -> bool:
        return time.monotonic() - state.seen_at < WATCH_TIMEOUT_S

    def serves(self) -> bool:
        """Whether a read may go to the standby as its watch last saw it (for a session, whose
        connection is made later: the standby's replay only moves forward)."""
        return self.usable() and self.state.replayed >= self.required

    def holds_required(self, connection: Connection) -> bool:
        """Whether the standby this connection reached has replayed `required` (asked on it)."""
        replayed = connection.exec_driver_sql("SELECT pg_last_wal_replay_lsn()::text").scalar()
        return replayed is not None and lsn(replayed) >= self.required

    # -- what the primary says
    def primary_at(self, position: int) -> None:
        """The primary's WAL was at `position` after a check, a notification or a commit."""
        if position <= self.required:
            return
        self.required = position
        now = time.monotonic()
        if not self._samples or now - self._samples[-1][1] >= SAMPLE_EVERY_S:
            self._samples.append((position, now))

    def failed(self, error: BaseException) -> None:
        """The standby failed a read for want of a connection: the primary takes the reads
        until the watch sees it answer again."""
        if self.state.status != "down":
            log.warning(
                "read replica unreachable; reads go to the primary",
                extra={"error": type(error).__name__},
            )
        self.state = ReplicaState("down")

    def _on_error(self, context: ExceptionContext) -> None:
        # A failed pre-ping is followed by a new connection, which reports its own failure.
        if not context.is_pre_ping and (context.is_disconnect or context.connection is None):
            self.failed(context.original_exception)

    # -- the watch (the app's lifespan)
    async def open(self, primary_position: Callable[[], Awaitable[int]]) -> None:
        if self._watch is None:
            self._watch = asyncio.create_task(self._keep_watching(primary_position))

    async def aclose(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
        self.engine.dispose()

    async def _keep_watching(self, primary_position: Callable[[], Awaitable[int]]) -> None:
        url = self.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while True:
            try:
                async with await AsyncConnection.connect(
                    dsn, autocommit=True, **self._timeouts
                ) as connection:
                    while True:
                        await asyncio.wait_for(
                            self._look(connection, primary_position), WATCH_TIMEOUT_S
                        )
                        await asyncio.sleep(CHECK_INTERVAL_S)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # stopped, restarting, hung, the network dropped
                self.failed(exc)
            await asyncio.sleep(CHECK_INTERVAL_S)

    async def _look(
        self, connection: AsyncConnection, primary_position: Callable[[], Awaitable[int]]
    ) -> None:
        # The primary's own trouble shows in the checks; here it only leaves `required` as is.
        with suppress(Exception):
            self.primary_at(await primary_position())
        cursor = await connection.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
        )
        row = await cursor.fetchone()
        assert row is not None
        in_recovery, replayed = row
        now = time.monotonic()
        if not in_recovery or replayed is None:
            # Promoted (or never a standby): its data may have gone its own way since.
            if self.state.status != "not_standby":
                log.warning("read replica is not a standby; reads go to the primary")
            self.state = ReplicaState("not_standby", None, 0, now)
            return
        self._saw(lsn(replayed), now)

    def _saw(self, replayed: int, now: float) -> None:
        while self._samples and self._samples[0][0] <= replayed:
            self._samples.popleft()
        # How long ago the primary first stood at a position the standby has not replayed yet.
        lag_s = now - self._samples[0][1] if self._samples else 0.0
        status: Status = "lagging" if lag_s > self._max_lag_s else "ok"
        if status != self.state.status:
            message = "read replica serves reads" if status == "ok" else "read replica lags"
            log.info(
                message, extra={"replay_lag_s": round(lag_s, 3), "replayed": _position(replayed)}
            )
        self.state = ReplicaState(status, round(lag_s, 3), replayed, now)
