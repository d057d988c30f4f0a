"""Engine and session factory; SQLite gets foreign keys, WAL and a busy timeout per connection.

pysqlite's own transaction handling is switched off (it does not BEGIN before DDL, so schema
changes would run outside any transaction); we emit BEGIN ourselves, so SQLite transactions are
real, DDL included. A unit of work that changes data or schema (migrate, seed, imports) starts
with `exclusive_changes`: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL, so
processes doing the same change at once run one after the other instead of colliding.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from cachetools import LRUCache
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Connection, Engine, Select, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")

# Fixed key of the PostgreSQL advisory lock taken by every schema or bulk data change.
CHANGES_LOCK_KEY = 0x434F4E44  # "COND"
_SQLITE_BEGIN = "sqlite_begin"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    statement = connection.get_execution_options().get(_SQLITE_BEGIN, "BEGIN")
    if statement:  # "" for a single-statement read, atomic on its own
        connection.exec_driver_sql(statement)


CONNECT_TIMEOUT_S = 5


def postgres_timeouts(statement_timeout_ms: int | None) -> dict[str, Any]:
    """libpq settings that bound how long a request can wait on PostgreSQL: to connect, for
    the server to run a statement, and for a network that stopped answering (unacknowledged
    data, dead peers), so an outage is a quick 503, not a hung worker."""
    settings: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "tcp_user_timeout": CONNECT_TIMEOUT_S * 1000,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
    }
    if statement_timeout_ms:
        settings["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return settings


def create_db_engine(url: str, statement_timeout_ms: int | None = None) -> Engine:
    """`statement_timeout_ms` is for the serving app; commands (imports) run unbounded."""
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url, pool_pre_ping=True, connect_args=postgres_timeouts(statement_timeout_ms)
    )


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@dataclass(frozen=True)
class Check(Generic[T]):
    """A single-statement read that most requests stop at, such as a record's revision: its
    statement (with bind parameters) and how its first row (or None) becomes the answer."""

    statement: Select[*tuple[Any, ...]]
    answer: Callable[[Sequence[Any] | None], T]


class Reader:
    """Runs the reads of the hot routes without a thread hop where it can.

    `check` runs a Check. On SQLite it runs right on the event loop, outside any transaction,
    on a connection kept for checks:
    WAL readers never wait for writers, and a thread hop costs more than the query. Its answers
    are also remembered until SQLite's `data_version` (asked on a connection kept for it, a few
    microseconds) says another connection, in any process, has committed. On PostgreSQL it runs
    on a small pool of asyncio connections (psycopg's own): a round trip, but no thread, and
    exact. `build`, the work of making what the response cache lacks, runs on the thread pool
    in one transaction, on either engine.
    """

    MEMO_SIZE = 50_000
    POOL_SIZE = 8
    POOL_TIMEOUT_S = 2.0  # then 503: a request does not wait long for a database that is gone

    def __init__(self, engine: Engine, statement_timeout_ms: int | None = None) -> None:
        self._engine = engine
        self._timeouts = postgres_timeouts(statement_timeout_ms)
        self._sqlite = engine.dialect.name == "sqlite"
        self._watch: Connection | None = None  # the connection that asks data_version
        self._data_version: int | None = None
        self._memo: LRUCache[tuple[Any, ...], Any] = LRUCache(maxsize=self.MEMO_SIZE)
        self._pool: AsyncConnectionPool | None = None
        self._compiled: dict[int, tuple[str, dict[str, Any]]] = {}

    # -- the thread pool, either engine
    def _run(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._engine.connect() as connection:
            return work(connection, *args)

    async def build(self, work: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(self._run, work, args)

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
            self._watch = self._engine.connect().execution_options(**{_SQLITE_BEGIN: ""})
        return self._watch

    def _watch_driver(self) -> Any:
        return self._watch_connection().connection.driver_connection

    async def _postgres_check(self, check: Check[T], params: dict[str, Any]) -> T:
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        sql, defaults = self._sql(check)
        async with self._pool.connection() as connection:
            cursor = await connection.execute(sql, {**defaults, **params})
            return check.answer(await cursor.fetchone())

    def _sql(self, check: Check[Any]) -> tuple[str, dict[str, Any]]:
        if id(check) not in self._compiled:
            compiled = check.statement.compile(dialect=self._engine.dialect)
            self._compiled[id(check)] = (str(compiled), dict(compiled.params))
        return self._compiled[id(check)]

    # -- life cycle (the app's lifespan)
    async def open(self) -> None:
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

    async def aclose(self) -> None:
        self.close()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None


def session_on(connection: Connection) -> Session:
    """An ORM session on a connection already in use (its transaction stays the caller's)."""
    return Session(bind=connection, expire_on_commit=False, autoflush=False)


@contextmanager
def session_factory_for(url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a new engine for one job (a command, a test), disposed after."""
    engine = create_db_engine(url)
    try:
        yield create_session_factory(engine)
    finally:
        engine.dispose()


def _lock_changes(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Held until the transaction ends.
        connection.execute(select(func.pg_advisory_xact_lock(CHANGES_LOCK_KEY)))


@contextmanager
def exclusive_changes(engine: Engine, *, defer_foreign_keys: bool = False) -> Iterator[Connection]:
    """A connection in a transaction that no other change of this kind runs beside.

    `defer_foreign_keys` is for migrations: SQLite ALTERs by copying a table and dropping the
    old one, and with foreign keys on that drop would cascade-delete the child rows. The keys
    are switched off for the transaction and checked before it commits.
    """
    with engine.connect() as connection:
        sqlite_keys_off = defer_foreign_keys and connection.dialect.name == "sqlite"
        if sqlite_keys_off:  # a PRAGMA that only works outside a transaction
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            connection.execution_options(**{_SQLITE_BEGIN: "BEGIN IMMEDIATE"})
            with connection.begin():
                _lock_changes(connection)
                yield connection
                if sqlite_keys_off:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the change: {broken[:5]}")
        finally:
            if sqlite_keys_off:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


WRITE_LOCK_TIMEOUT_MS = 5000  # then 503 with Retry-After: another change holds the rows
# Every change of content (API writes, seed runs, imports) holds this row from its start to its
# commit on PostgreSQL, as BEGIN IMMEDIATE holds SQLite's write lock: a writer checks slugs,
# terms and revisions only once the previous writer has committed, and the change feed's seq
# (taken from this row) follows commit order.
_HOLD_CONTENT_VERSION = "SELECT version FROM content_version WHERE id = 1 FOR UPDATE"


@contextmanager
def transaction(
    factory: sessionmaker[Session], *, exclusive: bool = False, write: bool = False
) -> Iterator[Session]:
    """One unit of work: commit when the block ends cleanly, roll back on any error.

    Both flags make a change of content, which runs after any other has committed (SQLite:
    BEGIN IMMEDIATE; PostgreSQL: the content_version row, held to the end).
    `exclusive` (seed runs, imports): also serialised against every other exclusive change,
    migrations included (see module doc).
    `write` (an API write): on PostgreSQL it waits at most WRITE_LOCK_TIMEOUT_MS for that, so
    during an import it answers 503 with Retry-After rather than hang."""
    with factory() as session:
        if exclusive or write:
            connection = session.connection(execution_options={_SQLITE_BEGIN: "BEGIN IMMEDIATE"})
            if exclusive:
                _lock_changes(connection)
            if connection.dialect.name == "postgresql":
                if not exclusive:
                    timeout = f"SET LOCAL lock_timeout = {WRITE_LOCK_TIMEOUT_MS}"
                    connection.exec_driver_sql(timeout)
                connection.exec_driver_sql(_HOLD_CONTENT_VERSION)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
