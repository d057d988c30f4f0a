"""Version checks: the single-statement reads that most cached requests stop at, run without a
thread hop where the engine allows and remembered while nothing changed, and the thread-pool
hop for the work of building what the cache lacks."""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from anyio import CapacityLimiter, to_thread
from cachetools import LRUCache
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Connection, Engine, Select, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import SQLITE_BEGIN, create_session_factory, postgres_timeouts
from app.models import ContentVersion
from app.reads.replica import Replica, lsn, replica_failure

T = TypeVar("T")
log = logging.getLogger(__name__)
# The channel the triggers of migration 0009 notify on every commit that changes what a check
# reads (conditions, slug redirects, terms).
CHANNEL = "content_changed"
PRIMARY_POSITION = "SELECT pg_current_wal_lsn()::text"
LISTEN_RETRY_S = 1.0


@dataclass(frozen=True)
class Check(Generic[T]):
    """A single-statement read that most requests stop at, such as a record's revision: its
    statement (with bind parameters) and how its first row (or None) becomes the answer."""

    statement: Select[*tuple[Any, ...]]
    answer: Callable[[Sequence[Any] | None], T]


class Reader:
    """Runs the reads of the hot routes without a thread hop where it can.

    `check` runs a Check, and remembers its answer while nothing it reads can have changed.
    On SQLite it runs right on the event loop, outside any transaction, on a connection kept
    for checks: WAL readers never wait for writers, and a thread hop costs more than the
    query. Its answers are forgotten as soon as SQLite's `data_version` (asked on a connection
    kept for it, a few microseconds) says another connection, in any process, has committed.
    On PostgreSQL it runs on a small pool of asyncio connections (psycopg's own): a round trip,
    but no thread. Its answers are forgotten when a notification on CHANNEL arrives (another
    worker committed a change), when this worker commits (`forget`, exact), and in any case
    after `staleness_s`: the longest an answer is served after a commit whose notification
    did not arrive. While the listening connection is down nothing is remembered.
    `build`, the work of making what the response cache lacks, runs on the thread pool in one
    transaction, on either engine, and on the read replica when there is one that has
    replayed what the checks saw (app.reads.replica).
    """

    MEMO_SIZE = 50_000
    # Builds at once, per engine: SQLite's queries run in this process (each build is CPU),
    # PostgreSQL's wait on the server, and more builds overlap those waits.
    BUILD_THREADS: ClassVar[dict[str, int]] = {"sqlite": 2, "postgresql": 4}
    POOL_SIZE = 8
    POOL_TIMEOUT_S = 2.0  # then 503: a request does not wait long for a database that is gone

    def __init__(
        self,
        engine: Engine,
        statement_timeout_ms: int | None = None,
        staleness_s: float = 0.0,
        replica: Replica | None = None,
    ) -> None:
        self._engine = engine
        self.replica = replica
        self.primary_factory = create_session_factory(engine)
        self._replica_factory = None if replica is None else create_session_factory(replica.engine)
        self._staleness_s = staleness_s
        self._generation = 0  # raised to forget every remembered answer (thread-safe enough)
        self._listening = False  # PostgreSQL: notifications are arriving
        self._listener: asyncio.Task[None] | None = None
        self._timeouts = postgres_timeouts(statement_timeout_ms)
        self._sqlite = engine.dialect.name == "sqlite"
        self._watch: Connection | None = None  # the connection that asks data_version
        self._data_version: int | None = None
        self._memo: LRUCache[tuple[Any, ...], Any] = LRUCache(maxsize=self.MEMO_SIZE)
        self._pool: AsyncConnectionPool | None = None
        self._compiled: dict[int, tuple[str, dict[str, Any]]] = {}
        self._builders = CapacityLimiter(self.BUILD_THREADS.get(engine.dialect.name, 4))
        self._replica_builders = CapacityLimiter(self.BUILD_THREADS["postgresql"])

    # -- the thread pool, either engine
    def _run(self, engine: Engine, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        replica = self.replica
        if replica is not None and engine is replica.engine:
            try:
                with engine.connect() as connection:
                    # Asked on the connection the work runs on: whatever server it reached.
                    if replica.holds_required(connection):
                        return work(connection, *args)
            except DBAPIError as exc:
                if not replica_failure(exc):
                    raise  # a timeout or a mistake: the primary would do no better
                if exc.connection_invalidated:
                    replica.failed(exc)
                log.info("read replica failed a read; read from the primary",
                         extra={"error": type(exc.orig).__name__})  # fmt: skip
        with self._engine.connect() as connection:
            return work(connection, *args)

    async def build(self, work: Callable[..., T], *args: Any) -> T:
        # At most BUILD_THREADS at once per server: builds are mostly Python holding the GIL,
        # so more threads only take turns, each request slower and the slowest much slower
        # (search over a stream of different queries: 185 req/s with 40 threads, 290-340 with
        # 1-4). The replica's builds have threads of their own: a standby that hangs holds
        # those, not the primary's.
        replica = self.replica
        if replica is not None and replica.usable():
            engine, limiter = replica.engine, self._replica_builders
        else:
            engine, limiter = self._engine, self._builders
        return await to_thread.run_sync(self._run, engine, work, args, limiter=limiter)

    def read_session_factory(self) -> sessionmaker[Session]:
        """Sessions for a read-only request: on the replica when its watch last saw it
        replay every position this process knows of the primary, else on the primary."""
        if self._replica_factory is not None and self.replica is not None and self.replica.serves():
            return self._replica_factory
        return self.primary_factory

    def committed(self) -> None:
        """This worker committed a change of content (any thread): forget every remembered
        answer, and, with a replica, learn the primary's position past that commit."""
        self.forget()
        if self.replica is not None:
            try:
                with self._engine.connect() as connection:
                    position = connection.exec_driver_sql(PRIMARY_POSITION).scalar_one()
                self.replica.primary_at(lsn(position))
            except DBAPIError as exc:  # reads then wait for the change notification
                log.warning("primary position unknown after a commit",
                            extra={"error": type(exc.orig).__name__})  # fmt: skip

    async def _primary_position(self) -> int:
        async with (await self._checks_pool()).connection() as connection:
            cursor = await connection.execute(PRIMARY_POSITION)
            row = await cursor.fetchone()
            assert row is not None
            return lsn(row[0])

    # -- checks
    async def check(self, check: Check[T], **params: Any) -> T:
        if self._sqlite:
            return self._sqlite_check(check, params)
        return await self._postgres_check(check, params)

    def _sqlite_check(self, check: Check[T], params: dict[str, Any]) -> T:
        if self._committed_elsewhere():
            self._memo.clear()
        key = (id(check), *sorted(params.items()))
        if key in self._memo:
            remembered: T = self._memo[key]
            return remembered
        # On the connection kept for the checks: never waiting for the pool, which the thread
        # pool's builds may have emptied, with the event loop blocked meanwhile.
        answer = check.answer(self._watch_connection().execute(check.statement, params).first())
        self._memo[key] = answer
        return answer

    def _committed_elsewhere(self) -> bool:
        try:
            # Straight to the driver: SQLAlchemy's execution path costs ten times the PRAGMA.
            version: int = self._watch_driver().execute("PRAGMA data_version").fetchone()[0]
        except Exception:
            self.close()
            # Again through SQLAlchemy, on a new connection: it works, or raises the wrapped
            # error that the handlers turn into a 503. Versions compare within one connection
            # only, so everything remembered goes.
            self._data_version = None
            version = self._watch_connection().exec_driver_sql("PRAGMA data_version").scalar_one()
        changed = version != self._data_version
        self._data_version = version
        return changed

    def _watch_connection(self) -> Connection:
        if self._watch is None:
            self._watch = self._engine.connect().execution_options(**{SQLITE_BEGIN: ""})
        return self._watch

    def _watch_driver(self) -> Any:
        return self._watch_connection().connection.driver_connection

    @property
    def listening(self) -> bool:
        """PostgreSQL: change notifications are arriving, so checks are remembered."""
        return self._listening

    def forget(self) -> None:
        """Forget every remembered answer: called after this worker commits (any thread)."""
        self._generation += 1

    async def _checks_pool(self) -> AsyncConnectionPool:
        """The pool of the checks' asyncio connections, opened on first use."""
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        return self._pool

    async def _postgres_check(self, check: Check[T], params: dict[str, Any]) -> T:
        pool = await self._checks_pool()
        remember = self._listening and self._staleness_s > 0
        key = (id(check), *sorted(params.items()))
        if remember:
            entry = self._memo.get(key)
            if entry is not None:
                answer, generation, until = entry
                if generation == self._generation and time.monotonic() < until:
                    remembered: T = answer
                    return remembered
        generation, until = self._generation, time.monotonic() + self._staleness_s
        sql, defaults = self._sql(check)
        async with pool.connection() as connection:
            if self.replica is None:
                cursor = await connection.execute(sql, {**defaults, **params})
                answer = check.answer(await cursor.fetchone())
            else:
                # The primary's position after the check, in the same round trip: a read
                # the check keys goes to the replica only once it has replayed that far.
                async with connection.pipeline():
                    cursor = await connection.execute(sql, {**defaults, **params})
                    position = await connection.execute(PRIMARY_POSITION)
                answer = check.answer(await cursor.fetchone())
                row = await position.fetchone()
                assert row is not None
                self.replica.primary_at(lsn(row[0]))
        if remember and generation == self._generation:  # no change was heard meanwhile
            self._memo[key] = (answer, generation, until)
        return answer

    async def _listen(self, url: str) -> None:
        """Forgets the remembered answers on every notification; reconnects when cut off."""
        while True:
            try:
                async with await AsyncConnection.connect(
                    url, autocommit=True, **self._timeouts
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.forget()  # whatever was committed while not listening
                    self._listening = True
                    log.info("listening for content changes", extra={"channel": CHANNEL})
                    async for _ in connection.notifies():
                        self.forget()
                        if self.replica is not None:
                            await self._learn_primary_position()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarted, the network dropped, ...
                log.warning(
                    "content change notifications lost; checks go to the database",
                    extra={"error": type(exc).__name__},
                )
            finally:
                self._listening = False
            await asyncio.sleep(LISTEN_RETRY_S)

    async def _learn_primary_position(self) -> None:
        assert self.replica is not None
        try:
            self.replica.primary_at(await self._primary_position())
        except Exception as exc:  # the checks meet the primary's trouble themselves
            log.warning("primary position unknown after a notification",
                        extra={"error": type(exc).__name__})  # fmt: skip

    def _sql(self, check: Check[Any]) -> tuple[str, dict[str, Any]]:
        if id(check) not in self._compiled:
            compiled = check.statement.compile(dialect=self._engine.dialect)
            self._compiled[id(check)] = (str(compiled), dict(compiled.params))
        return self._compiled[id(check)]

    # -- life cycle (the app's lifespan)
    async def open(self) -> None:
        if self.replica is not None:
            await self.replica.open(self._primary_position)
        if self._sqlite or self._pool is not None:
            return
        url = self._engine.url.set(drivername="postgresql")
        self._pool = AsyncConnectionPool(
            url.render_as_string(hide_password=False),
            min_size=1,
            max_size=self.POOL_SIZE,
            timeout=self.POOL_TIMEOUT_S,
            kwargs={"autocommit": True, **self._timeouts},
            open=False,
        )
        await self._pool.open(wait=False)  # a database that is down now is tried again later
        if self._staleness_s > 0:
            self._listener = asyncio.create_task(
                self._listen(url.render_as_string(hide_password=False))
            )

    async def aclose(self) -> None:
        self.close()
        if self.replica is not None:
            await self.replica.aclose()
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None


CONTENT_VERSION = Check(
    select(ContentVersion.version).where(ContentVersion.id == 1),
    lambda row: int(row[0]) if row else 0,
)
"""Raised by trigger with every change to the conditions table (migration 0003)."""
