"""Engine and session factory; SQLite gets foreign keys, WAL and a busy timeout per connection.

pysqlite's own transaction handling is switched off (it does not BEGIN before DDL, so schema
changes would run outside any transaction); we emit BEGIN ourselves, so SQLite transactions are
real, DDL included. A unit of work that changes data or schema (migrate, seed, imports) starts
with `exclusive_changes`: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL, so
processes doing the same change at once run one after the other instead of colliding.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

# Fixed key of the PostgreSQL advisory lock taken by every schema or bulk data change.
CHANGES_LOCK_KEY = 0x434F4E44  # "COND"
SQLITE_BEGIN = "sqlite_begin"


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
    statement = connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN")
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


def session_on(connection: Connection) -> Session:
    """An ORM session on a connection already in use (its transaction stays the caller's)."""
    return Session(bind=connection, expire_on_commit=False, autoflush=False)


def snapshot(factory: sessionmaker[Session]) -> Session:
    """A read-only session whose reads all see one state of the database, however long it is
    held (a corpus dump): REPEATABLE READ on PostgreSQL; on SQLite the deferred BEGIN's read
    transaction, which in WAL mode holds its snapshot without blocking writers. The caller
    closes it."""
    session = factory()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    return session


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
            connection.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
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


CHANGES_CONTENT = "changes_content"  # session.info key: a transaction made to change content


def changed_content(session: Session) -> bool:
    """Whether the session's transaction was one made to change content (see transaction)."""
    return bool(session.info.get(CHANGES_CONTENT))


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
            session.info[CHANGES_CONTENT] = True
            connection = session.connection(execution_options={SQLITE_BEGIN: "BEGIN IMMEDIATE"})
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
