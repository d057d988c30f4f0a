"""Each worker remembers its version checks (app.reads.reader): on SQLite until data_version
says another connection committed, on PostgreSQL until a change notification arrives, at most
READ_STALENESS_S. Readers see every write, on every worker, without a round trip per read."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.auth.keys import Scope
from app.core.config import PROJECT_ROOT
from tests.helpers import MMN, free_port, make_client, new_key, seed_database, wait_until_serving

WRITE_SETTLE_S = 10.0  # far below the 30 s bound the tests set: only a notice explains it


@pytest.fixture
def seeded(fresh_db: str) -> str:
    seed_database(fresh_db)
    return fresh_db


@pytest.fixture
def two_workers(seeded: str) -> Iterator[str]:
    """`python -m app serve --workers 2` with a 30 s bound: a worker that serves a write of the
    other one within WRITE_SETTLE_S was told of it."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": seeded, "READ_STALENESS_S": "30", "LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=20)


def _tags(base: str, count: int) -> list[str]:
    """The record's ETag, read `count` times on new connections (spread over the workers)."""
    return [httpx.get(f"{base}{MMN}").headers["etag"] for _ in range(count)]


def test_every_worker_serves_a_write_at_once(two_workers: str, seeded: str) -> None:
    before = _tags(two_workers, 40)
    assert set(before) == {before[0]}
    key = new_key(seeded, "notified-writer", Scope.WRITE)
    written = httpx.patch(
        f"{two_workers}{MMN}",
        json={"review_due": "2031-01-01"},
        headers={
            "Authorization": f"Bearer {key}",
            "If-Match": before[0],
            "Content-Type": "application/merge-patch+json",
        },
    )
    assert written.status_code == 200, written.text
    fresh = written.headers["etag"]
    assert fresh != before[0]
    deadline = time.monotonic() + WRITE_SETTLE_S
    while (tags := _tags(two_workers, 40)) != [fresh] * 40:
        assert time.monotonic() < deadline, f"stale reads after {WRITE_SETTLE_S} s: {tags}"
    assert httpx.get(f"{two_workers}{MMN}").json()["review_due"] == "2031-01-01"


def _bump_revision(url: str, *, notified: bool = True) -> None:
    """The record's revision raised by another process. Not notified: with the triggers off,
    so no notification is sent (what a lost one looks like to a worker; PostgreSQL only)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        if not notified:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(
            text("UPDATE conditions SET revision = revision + 1 WHERE slug = :slug"),
            {"slug": MMN.rsplit("/", 1)[1]},
        )
    engine.dispose()


def test_a_change_never_notified_is_seen_within_the_bound(seeded: str, engine_name: str) -> None:
    """PostgreSQL: within READ_STALENESS_S. SQLite has nothing to lose (data_version tells a
    connection of every other commit): the next read is exact, whatever the bound."""
    if engine_name == "sqlite":
        with make_client(seeded, read_staleness_s=30.0) as client:
            remembered = client.get(MMN).headers["etag"]
            _bump_revision(seeded)
            assert client.get(MMN).headers["etag"] != remembered
        return
    bound = 5.0  # seconds: long enough for a loaded machine to make the requests within it
    with make_client(seeded, read_staleness_s=bound) as client:
        _until_listening(client)
        remembered = client.get(MMN).headers["etag"]
        since = time.monotonic()
        _bump_revision(seeded, notified=False)
        # Remembered, not asked again: the answer lags the database, as the bound allows;
        # reads that open a session of their own (the feed) do not make the worker forget.
        assert client.get("/v1/changes").status_code == 200
        stale = client.get(MMN).headers["etag"]
        assert time.monotonic() - since < bound, "too slow a machine to test the bound"
        assert stale == remembered
        time.sleep(max(0.0, bound - (time.monotonic() - since)) + 0.2)
        assert client.get(MMN).headers["etag"] != remembered


def _until_listening(client: TestClient) -> None:
    """Checks are remembered only once the worker listens (it connects at start-up)."""
    reader = client.app.state.reads.read  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not reader.listening:
        assert time.monotonic() < deadline, "the worker never started listening"
        time.sleep(0.02)


def test_a_change_by_another_process_reaches_a_worker(seeded: str, engine_name: str) -> None:
    """A commit outside the app (an import, another worker) is seen long before the bound."""
    with make_client(seeded, read_staleness_s=30.0) as client:
        if engine_name == "postgresql":
            _until_listening(client)
        remembered = client.get(MMN).headers["etag"]
        _bump_revision(seeded)
        deadline = time.monotonic() + WRITE_SETTLE_S
        while client.get(MMN).headers["etag"] == remembered:
            assert time.monotonic() < deadline, "the change was not heard"
            time.sleep(0.02)
