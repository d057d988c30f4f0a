"""Rate limits: writes per key and per client address, reads when configured; 429 problem
bodies with Retry-After."""

import logging

import redis
from fastapi.testclient import TestClient

from app.auth.keys import Scope
from tests.helpers import MMN, REDIS, Editing, make_client, new_key


def _bad_create(client: TestClient, headers: dict[str, str]) -> int:
    # An invalid body: counted against the limit, answered 422, and nothing is written.
    status: int = client.post("/v1/conditions", json={}, headers=headers).status_code
    return status


def test_writes_are_limited_per_key_and_per_address(editing: Editing) -> None:
    other = {"Authorization": f"Bearer {new_key(editing.url, 'second', Scope.WRITE)}"}
    with make_client(editing.url, write_rate_limit="3/minute") as client:
        assert [_bad_create(client, editing.writer) for _ in range(3)] == [422] * 3
        limited = client.post("/v1/conditions", json={}, headers=editing.writer)
        assert limited.status_code == 429
        assert limited.json()["type"] == "urn:problem:rate-limited"
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert limited.json()["retry_after"] == retry_after
        # The address is spent too: another key from the same client is refused, and so is a
        # request with no key at all (guessing keys is limited as well).
        assert _bad_create(client, other) == 429
        assert _bad_create(client, {}) == 429
        assert client.get(MMN).status_code == 200  # reads are not limited by default
    with make_client(editing.url, write_rate_limit="") as client:
        assert [_bad_create(client, editing.writer) for _ in range(5)] == [422] * 5


def test_reads_can_be_limited(editing: Editing) -> None:
    with make_client(editing.url, read_rate_limit="2/minute") as client:
        assert [client.get(MMN).status_code for _ in range(2)] == [200, 200]
        limited = client.get(MMN)
        assert limited.status_code == 429
        assert "retry-after" in limited.headers
        assert client.get("/healthz").status_code == 200  # probes are never limited
        # Made-up keys do not open new buckets for the same client.
        for n in range(3):
            assert client.get(MMN, headers={"X-API-Key": f"made-up-{n}"}).status_code == 429


def test_reads_sent_as_post_and_fhir_reads_count_as_reads(editing: Editing) -> None:
    lookup = {"codes": [{"system": "icd10cm", "code": "G61.82"}]}
    with make_client(editing.url, read_rate_limit="3/minute") as client:
        assert client.post("/v1/codes/lookup", json=lookup).status_code == 200
        match = client.post("/v1/conditions/match", json={"symptoms": ["HP:0003690"]})
        assert match.status_code != 429  # counted, whatever it answers
        assert client.get("/fhir/metadata").status_code == 200
        assert client.post("/v1/codes/lookup", json=lookup).status_code == 429
        assert client.get("/fhir/metadata").status_code == 429


def test_limits_are_shared_through_redis(editing: Editing, redis_prefix: str) -> None:
    """Two app instances (as two processes would) count in one Redis: the limit holds across
    both, whichever the requests reach."""
    settings = {"rate_limit_storage": REDIS, "rate_limit_prefix": redis_prefix}
    with (
        make_client(editing.url, write_rate_limit="3/minute", **settings) as first,
        make_client(editing.url, write_rate_limit="3/minute", **settings) as second,
    ):
        answers = [_bad_create(client, editing.writer) for client in (first, second, first)]
        assert answers == [422, 422, 422]
        assert _bad_create(second, editing.writer) == 429
        assert _bad_create(first, editing.writer) == 429
    stored = redis.Redis.from_url(REDIS)
    try:
        assert list(stored.scan_iter(f"{redis_prefix}:*"))  # counted there, under the prefix
    finally:
        stored.close()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_redis_that_does_not_answer_fails_no_request(editing: Editing) -> None:
    """Nothing listens on port 1: each process counts in its own memory meanwhile."""
    warnings = _Records()  # on the logger itself: the app's logging set-up owns the root's
    logging.getLogger("app.ratelimit").addHandler(warnings)
    settings = {"rate_limit_storage": "redis://127.0.0.1:1/0", "write_rate_limit": "2/minute"}
    try:
        with make_client(editing.url, **settings) as client:
            assert [_bad_create(client, editing.writer) for _ in range(2)] == [422, 422]
            assert _bad_create(client, editing.writer) == 429  # the limit holds, per process
    finally:
        logging.getLogger("app.ratelimit").removeHandler(warnings)
    assert [r.getMessage() for r in warnings.records] == [
        "rate limit storage unreachable; counting in this process"
    ]  # once, then not asked again for a while
