"""DATABASE_READ_URL against a real hot standby: reads run on it while it is up, within its lag
limit and caught up; a client that has just written reads its write; a standby that lags, is
paused or is down costs no request more than the fall-back to the primary."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth.keys import Scope
from app.core.config import Settings
from app.main import create_app
from tests.helpers import MMN, new_key
from tests.replica.conftest import Replication

pytestmark = pytest.mark.postgres

MAX_LAG_S = 2.0
READS = [
    MMN,
    f"{MMN}/symptoms",
    "/v1/conditions?limit=5",
    "/v1/search?q=motor",
    "/v1/autocomplete?q=multi",
    "/v1/codes/icd10cm/G61.82",
    "/v1/changes",
    "/v1/releases",
    "/v1/conditions?format=ndjson",
]


def _client(url: str, read_url: str = "") -> TestClient:
    settings = Settings(
        database_url=url,
        database_read_url=read_url,
        read_replica_max_lag_s=MAX_LAG_S,
        response_cache_mb=0,  # every read does its work: the standby's log shows where
        write_rate_limit="",
    )
    return TestClient(create_app(settings))


def _eventually(condition: Callable[[], Any], timeout_s: float = 15, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := condition()):
        assert time.monotonic() < deadline, f"not within {timeout_s} s: {what}"
        time.sleep(0.1)
    return result


def _replica_status(client: TestClient) -> dict[str, Any]:
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    replica: dict[str, Any] = ready.json()["replica"]
    return replica


class StandbyLog:
    """What the standby ran since the last look (it logs every statement)."""

    def __init__(self, replication: Replication) -> None:
        self.path = replication.standby_log
        self.offset = self.path.stat().st_size

    def new(self) -> str:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        self.offset += len(text.encode())
        return text

    def record_reads(self) -> int:
        """Reads of condition rows (the watch asks only about versions and lag)."""
        return self.new().count("FROM conditions")


@pytest.fixture(scope="module")
def client(replication: Replication) -> Iterator[TestClient]:
    with _client(replication.primary_url, replication.standby_url) as client:
        _eventually(lambda: _replica_status(client)["status"] == "ok", what="replica ok")
        yield client


@pytest.fixture(scope="module")
def writer(replication: Replication) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_key(replication.primary_url, 'editor', Scope.WRITE)}"}


def _patch_review_due(client: TestClient, writer: dict[str, str], due: str) -> Any:
    etag = client.get(MMN).headers["etag"]
    headers = writer | {"If-Match": etag, "Content-Type": "application/merge-patch+json"}
    response = client.patch(MMN, json={"review_due": due}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_readyz_reports_the_replica_and_its_lag(client: TestClient) -> None:
    replica = _replica_status(client)
    assert replica["status"] == "ok"
    assert 0 <= replica["replay_lag_s"] <= MAX_LAG_S


def test_reads_run_on_the_standby_and_answer_what_the_primary_answers(
    client: TestClient, replication: Replication
) -> None:
    log = StandbyLog(replication)
    with _client(replication.primary_url) as primary_only:
        for path in READS:
            on_replica, on_primary = client.get(path), primary_only.get(path)
            assert on_replica.status_code == on_primary.status_code == 200, path
            assert on_replica.content == on_primary.content, path
    assert log.record_reads() > 0, "no read reached the standby"


def test_a_client_reads_its_own_write_while_the_standby_is_behind(
    client: TestClient, replication: Replication, writer: dict[str, str]
) -> None:
    replication.pause_replay()
    try:
        written = _patch_review_due(client, writer, "2031-01-01")
        revision = written.json()["revision"]
        log = StandbyLog(replication)
        # The standby has not replayed the write, so the reads after it go to the primary.
        record = client.get(MMN)
        assert record.json()["revision"] == revision
        assert record.json()["review_due"] == "2031-01-01"
        assert client.get("/v1/changes").json()["items"][-1]["revision"] == revision
        assert log.record_reads() == 0, "a read went to the standby that lacks the write"
        # Paused with WAL it has not replayed, the standby's lag grows past the limit.
        lagging = _eventually(
            lambda: _replica_status(client)["status"] == "lagging", what="replica lagging"
        )
        assert lagging
        assert _replica_status(client)["replay_lag_s"] > MAX_LAG_S
        assert client.get(MMN).json()["revision"] == revision
    finally:
        replication.resume_replay()
    replication.wait_caught_up()
    _eventually(lambda: _replica_status(client)["status"] == "ok", what="replica ok again")
    log = StandbyLog(replication)
    assert client.get(MMN).json()["revision"] == revision
    assert log.record_reads() > 0, "the caught-up standby takes the reads again"


def test_every_write_is_read_back_at_once(
    client: TestClient, replication: Replication, writer: dict[str, str]
) -> None:
    """Streaming replication runs: a read right after each write, through the same app,
    always sees that write, whether the standby has replayed it yet or not."""
    for day in range(1, 21):
        due = f"2032-01-{day:02d}"
        revision = _patch_review_due(client, writer, due).json()["revision"]
        record = client.get(MMN).json()
        assert (record["revision"], record["review_due"]) == (revision, due)


def test_reads_go_to_the_primary_while_the_standby_is_down(
    client: TestClient, replication: Replication
) -> None:
    replication.wait_caught_up()
    replication.standby.stop()
    try:
        # A request whose session finds the standby gone answers one 503 to retry; the failed
        # connection sends the reads to the primary at once.
        first = client.get("/v1/changes")
        assert first.status_code in (200, 503), first.text
        if first.status_code == 503:
            assert first.headers["retry-after"]
        for path in READS:  # a build that finds the standby gone is read again on the primary
            assert client.get(path).status_code == 200, path
        assert _eventually(lambda: _replica_status(client)["status"] == "down", what="down")
        assert _replica_status(client)["replay_lag_s"] is None
        for path in READS:
            assert client.get(path).status_code == 200, path
    finally:
        replication.standby.start("hot_standby=on", "fsync=off", "log_statement=all")
    _eventually(lambda: _replica_status(client)["status"] == "ok", what="replica back")
    log = StandbyLog(replication)
    assert client.get(MMN).status_code == 200
    assert log.record_reads() > 0


def test_a_read_replica_needs_postgresql() -> None:
    with pytest.raises(ValueError, match="DATABASE_READ_URL"):
        Settings(database_url="sqlite:///x.sqlite3", database_read_url="postgresql://h/db")
