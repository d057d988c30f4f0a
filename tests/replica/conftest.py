"""A PostgreSQL primary and its hot standby, made for these tests on free ports: `initdb`, then
`pg_basebackup -R` from the running primary (streaming replication), each server in a
temporary folder with its own socket directory. Both are stopped and their folders removed at
the end. The servers run as the `postgres` user when the tests run as root (PostgreSQL refuses
root)."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.core import migrations
from tests.helpers import free_port, seed_database, unreachable

PG_BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT_S = 60


def _server_user() -> list[str]:
    """The command prefix that runs a PostgreSQL binary as a user the server accepts."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _run(*command: str) -> None:
    # Fixed PostgreSQL binaries with arguments the fixture built, no shell.
    subprocess.run([*_server_user(), *command], check=True, capture_output=True, timeout=120)


@dataclass
class Server:
    """One PostgreSQL server of the pair: its folder and port."""

    data: Path
    port: int
    socket_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, *settings: str) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        options += "".join(f" -c {setting}" for setting in settings)
        _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
             "-l", str(self.data.parent / f"{self.data.name}.log"), "-w",
             "-t", str(START_TIMEOUT_S), "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def execute(self, database: str, statement: str) -> object:
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


@dataclass
class Replication:
    """The primary, its hot standby, and the database both hold for the tests."""

    primary: Server
    standby: Server
    database: str = "conditions"

    @property
    def primary_url(self) -> str:
        return self.primary.url(self.database)

    @property
    def standby_url(self) -> str:
        return self.standby.url(self.database)

    @property
    def standby_log(self) -> Path:
        return self.standby.data.parent / f"{self.standby.data.name}.log"

    def pause_replay(self) -> None:
        self.standby.execute(self.database, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.standby.execute(self.database, "SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout_s: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        target = self.primary.execute(self.database, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout_s
        while True:
            replayed = self.standby.execute(
                self.database, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
            )
            if replayed:
                return
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def replication() -> Iterator[Replication]:
    if not (PG_BIN / "pg_basebackup").exists():
        unreachable(f"PostgreSQL's server binaries are not in {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="replica-test-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(root, postgres.pw_uid, postgres.pw_gid)
    primary = Server(root / "primary", free_port(), root)
    standby = Server(root / "standby", free_port(), root)
    try:
        _run(str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres",
             "--auth=trust", "--no-sync")  # fmt: skip
        # fsync off: a test cluster, thrown away after; replication itself is unchanged.
        primary.start("wal_level=replica", "max_wal_senders=4", "fsync=off")
        pair = Replication(primary, standby)
        primary.execute("postgres", f'CREATE DATABASE "{pair.database}"')
        migrations.upgrade(pair.primary_url)
        seed_database(pair.primary_url)
        _run(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
             "-U", "postgres", "-D", str(standby.data), "-R", "-X", "stream",
             "-c", "fast")  # fmt: skip
        # Every statement in the standby's log: how the tests see which reads it ran.
        standby.start("hot_standby=on", "fsync=off", "log_statement=all")
        pair.wait_caught_up()
        yield pair
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)
