"""Engine and session factory; SQLite gets foreign keys, WAL and a busy timeout per connection.

pysqlite's own transaction handling is switched off (it does not BEGIN before DDL, so schema
changes would run outside any transaction); we emit BEGIN ourselves, so SQLite transactions are
real, DDL included. A unit of work that changes data or schema (migrate, seed, imports) starts
with `exclusive_changes`: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL, so
processes doing the same change at once run one after the other instead of colliding.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from cachetools import LRUCache
from sqlalchemy import Connection, Engine, create_engine, event, func, select
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


def create_db_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


class Reader:
    """Runs the reads of the hot routes, in the fewest thread hops.

    `check` is one indexed single-statement read, such as a record's revision, that most
    requests stop at (what they serve is in the response cache). On SQLite it runs right on the
    event loop, outside any transaction: WAL readers never wait for writers, and a thread hop
    costs more than the query. Its answers are also remembered until SQLite's `data_version`
    (asked on a connection kept for it, a few microseconds) says another connection, in any
    process, has committed. On PostgreSQL (a network round trip, and a timeout when the server
    is gone) it runs on the thread pool every time. `build`, the work of making what the cache
    lacks, always runs on the thread pool, in one transaction.
    """

    MEMO_SIZE = 50_000

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._watch: Connection | None = None  # the connection that asks data_version
        self._data_version: int | None = None
        self._memo: LRUCache[tuple[Any, ...], Any] = LRUCache(maxsize=self.MEMO_SIZE)

    def _run(self, work: Callable[..., T], args: tuple[Any, ...], begin: str = "BEGIN") -> T:
        with self._engine.connect() as connection:
            if self._sqlite:
                connection = connection.execution_options(**{_SQLITE_BEGIN: begin})
            return work(connection, *args)

    def _committed_elsewhere(self) -> bool:
        try:
            # Straight to the driver: SQLAlchemy's execution path costs ten times the PRAGMA.
            version: int = self._watch_driver().execute("PRAGMA data_version").fetchone()[0]
        except Exception:
            self.close()
            # Again through SQLAlchemy, on a new connection: it works, or raises the wrapped
            # error that the handlers turn into a 503.
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

    async def check(self, work: Callable[..., T], *args: Any) -> T:
        if not self._sqlite:
            return await run_in_threadpool(self._run, work, args)
        if self._committed_elsewhere():
            self._memo.clear()
        key = (work, *args)
        if key in self._memo:
            result: T = self._memo[key]
            return result
        result = self._run(work, args, begin="")
        self._memo[key] = result
        return result

    async def build(self, work: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(self._run, work, args)

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


@contextmanager
def transaction(factory: sessionmaker[Session], *, exclusive: bool = False) -> Iterator[Session]:
    """One unit of work: commit when the block ends cleanly, roll back on any error. With
    `exclusive`, it is also serialised against every other exclusive change (see module doc)."""
    with factory() as session:
        if exclusive:
            connection = session.connection(execution_options={_SQLITE_BEGIN: "BEGIN IMMEDIATE"})
            _lock_changes(connection)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
