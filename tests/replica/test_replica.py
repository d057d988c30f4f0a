"""DATABASE_READ_URL against a real hot standby: reads run on it while it is up, within its lag
limit and caught up; a client that has just written reads its write; a standby that lags, is
paused or is down costs no request more than the fall-back to the primary."""

import re
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


def _client(url: str, read_url: str = "", cache_mb: int = 0) -> TestClient:
    settings = Settings(
        database_url=url,
        database_read_url=read_url,
        read_replica_max_lag_s=MAX_LAG_S,
        # Off unless asked for: every read does its work, and the standby's log shows where.
        response_cache_mb=cache_mb,
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


# What the standby logs that is not a read of content: the watch, the check each build makes
# first, a new connection's questions, a pool's ping, transaction control.
NOT_READS = re.compile(
    r"pg_last_wal_replay_lsn|pg_is_in_recovery|pg_catalog\.version|current_schema|"
    r"standard_conforming_strings|^;$|^(BEGIN|COMMIT|ROLLBACK|select 1)\b",
    re.IGNORECASE,
)
STATEMENT = re.compile(r"LOG:  (?:statement|execute [^:]*): (.*)")


class StandbyLog:
    """The reads of content the standby ran since the last look (it logs every statement)."""

    def __init__(self, replication: Replication) -> None:
        self.path = replication.standby_log
        self.offset = self.path.stat().st_size

    def reads(self) -> list[str]:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        self.offset += len(text.encode())
        statements = [match.group(1) for match in STATEMENT.finditer(text)]
        return [statement for statement in statements if not NOT_READS.search(statement)]


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
    replication.wait_caught_up()
    time.sleep(1.5)  # the watch's next look: it has seen the standby replay all there is
    with _client(replication.primary_url) as primary_only:
        for path in READS:
            log = StandbyLog(replication)
            on_replica = client.get(path)
            # Autocomplete answers from the vocabulary the search before it built.
            assert log.reads() or "autocomplete" in path, f"{path} did not read the standby"
            on_primary = primary_only.get(path)
            assert on_replica.status_code == on_primary.status_code == 200, path
            assert on_replica.content == on_primary.content, path


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
        assert log.reads() == [], "a read went to the standby that lacks the write"
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
    assert log.reads(), "the caught-up standby takes the reads again"


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


def test_the_write_path_reads_only_the_primary(
    client: TestClient, replication: Replication, writer: dict[str, str]
) -> None:
    replication.wait_caught_up()
    etag = client.get(MMN).headers["etag"]
    log = StandbyLog(replication)
    document = client.get(f"{MMN}/document", headers=writer)
    assert document.status_code == 200, document.text
    headers = writer | {"If-Match": etag, "Content-Type": "application/merge-patch+json"}
    assert client.patch(MMN, json={"review_due": "2030-06-30"}, headers=headers).status_code == 200
    stale = client.patch(MMN, json={"review_due": "2030-07-01"}, headers=headers)
    assert stale.status_code == 412
    assert log.reads() == [], "the write path read from the standby"


def test_another_process_follows_a_write_the_standby_lacks(
    replication: Replication, writer: dict[str, str]
) -> None:
    """Two app instances with response caches, as two processes: one writes while the
    standby's replay is paused; the other, once the change notification reaches it, keys its
    reads on the new revision and, the standby being behind, reads them from the primary,
    caching nothing stale."""
    urls = (replication.primary_url, replication.standby_url)
    with _client(*urls, cache_mb=16) as first, _client(*urls, cache_mb=16) as second:
        for instance in (first, second):
            _eventually(lambda: _replica_status(instance)["status"] == "ok", what="ok")  # noqa: B023
        before = second.get(MMN).json()["revision"]
        assert second.get("/v1/changes").json()["items"][-1]["revision"] == before
        replication.pause_replay()
        try:
            revision = _patch_review_due(first, writer, "2033-03-03").json()["revision"]
            record = _eventually(
                lambda: (body := second.get(MMN).json())["revision"] == revision and body,
                timeout_s=5,
                what="the other instance serves the write",
            )
            assert record["review_due"] == "2033-03-03"
            assert second.get("/v1/changes").json()["items"][-1]["revision"] == revision
        finally:
            replication.resume_replay()
        replication.wait_caught_up()
        time.sleep(1.5)  # the standby takes the reads again
        for instance in (first, second):
            body = instance.get(MMN).json()
            assert (body["revision"], body["review_due"]) == (revision, "2033-03-03")


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
    assert log.reads()


def test_a_read_replica_needs_postgresql() -> None:
    with pytest.raises(ValueError, match="DATABASE_READ_URL"):
        Settings(database_url="sqlite:///x.sqlite3", database_read_url="postgresql://h/db")


def test_a_promoted_standby_takes_no_reads(client: TestClient, replication: Replication) -> None:
    """Last in the module: the standby is promoted (as in a failover) and stays so."""
    replication.wait_caught_up()
    replication.standby.execute(replication.database, "SELECT pg_promote()")
    _eventually(lambda: _replica_status(client)["status"] == "not_standby", what="not_standby")
    log = StandbyLog(replication)
    for path in READS:
        assert client.get(path).status_code == 200, path
    assert log.reads() == [], "a read went to a server that is no longer a standby"
