"""Several API processes behind nginx, as deploy/ runs them: `python -m app serve` processes on
one PostgreSQL database behind nginx on loopback, configured from the template that
deploy/compose.yaml mounts. Writers through both processes lose no update; both processes'
caches follow a write; the write limit holds across both through Redis, and a Redis that goes
away fails no request; nginx passes the app's answers as they are, tries reads only on another
process, and answers problem+json itself. And the compose file's wiring, which cannot run here.

The processes start once per fixture (the module's, or a test's when it needs settings of its
own) and are stopped, with nginx and Redis, when it ends; everything they write is in one
temporary folder, removed at the end."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from sqlalchemy.engine import make_url

from app.auth.keys import Scope
from app.core.config import PROJECT_ROOT, Settings
from tests.helpers import (
    MMN,
    REDIS,
    Databases,
    free_port,
    new_key,
    seed_database,
    unreachable,
    wait_until_serving,
)

DEPLOY = PROJECT_ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
API_TEMPLATE = DEPLOY / "nginx" / "api.conf.template"
STANDALONE_TEMPLATE = DEPLOY / "nginx" / "standalone.conf.template"
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")  # as envsubst fills them
MAX_BODY_BYTES: int = Settings.model_fields["max_body_bytes"].default
SERVE = ["python", "-m", "app", "serve"]
STOP_TIMEOUT_S = 20.0
# A write on one process reaches the other's remembered checks through a PostgreSQL change
# notification, within milliseconds. The processes here remember for READ_STALENESS_S = 30 s,
# so a process that serves the write within this bound was told of it.
NOTIFIED_WITHIN_S = 3.0
UNREACHABLE_STORAGE = "rate limit storage unreachable; counting in this process"


def on_postgres(test: Callable[..., None]) -> Callable[..., None]:
    """The test runs on the suite's PostgreSQL databases only (the deployment's engine)."""
    only = pytest.mark.parametrize("databases", ["postgresql"], indirect=True)
    marked: Callable[..., None] = pytest.mark.postgres(only(test))
    return marked


def render(template: Path, **values: str) -> str:
    """A template of deploy/nginx with its placeholders filled in (each must be given)."""
    return PLACEHOLDER.sub(lambda match: values[match[1]], template.read_text())


def _stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _json_lines(path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        with suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Server:
    """One `python -m app serve` process, its log (JSON lines) in a file."""

    port: int
    process: "subprocess.Popen[bytes]"
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"http://{self.address}"

    def messages(self, level: str) -> list[str]:
        return [str(e.get("message")) for e in _json_lines(self.log) if e.get("level") == level]


@dataclass
class Proxy:
    """nginx on loopback, its access log (JSON lines) in its folder."""

    port: int
    process: "subprocess.Popen[bytes]"
    folder: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access(self) -> list[dict[str, Any]]:
        return _json_lines(self.folder / "access.log")


@dataclass
class Topology:
    proxy: Proxy
    servers: list[Server]
    key: str  # with the write scope

    @property
    def base(self) -> str:
        return self.proxy.base

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@contextmanager
def serving(url: str, folder: Path, count: int, **settings: str) -> Iterator[list[Server]]:
    """`count` serve processes on the database `url`, each on a free port, started together."""
    folder.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "info",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # nginx, and the tests that speak as a proxy
        **settings,
    }
    servers: list[Server] = []
    try:
        for n in range(count):
            port = free_port()
            log = folder / f"serve-{n + 1}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, *SERVE[1:], "--port", str(port)],
                    cwd=PROJECT_ROOT, env={**env, "API_PORT": str(port)},
                    stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                )  # fmt: skip
            servers.append(Server(port, process, log))
        for server in servers:
            wait_until_serving(server.base, server.process)
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.process.terminate()
        for server in servers:
            _stop(server.process)


def _nginx_binary() -> str | None:
    # Debian's is /usr/sbin/nginx, which is not on a non-root PATH.
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if os.access(found, os.X_OK) else None


@contextmanager
def proxying(folder: Path, upstreams: Sequence[str]) -> Iterator[Proxy]:
    """nginx on a free port of 127.0.0.1 in front of `upstreams` (each `host:port [params]`),
    configured from the deployment's template; everything it writes is in `folder`."""
    binary = _nginx_binary()
    assert binary is not None
    folder.mkdir()
    port = free_port()
    api = folder / "api.conf"
    api.write_text(
        render(
            API_TEMPLATE,
            LISTEN=f"127.0.0.1:{port}",
            API_UPSTREAMS=" ".join(f"server {upstream};" for upstream in upstreams),
            MAX_BODY_BYTES=str(MAX_BODY_BYTES),
        )
    )
    conf = folder / "nginx.conf"
    conf.write_text(render(STANDALONE_TEMPLATE, API_CONF=str(api)))
    # As root, nginx's workers would otherwise run as nobody, who cannot enter the folder.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    with (folder / "access.log").open("wb") as sink:
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(conf), "-g", directives],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not _accepts(port):
            if process.poll() is not None:
                errors = [p.read_text() for p in folder.glob("*.log")]
                pytest.fail(f"nginx exited {process.returncode}: {errors}")
            assert time.monotonic() < deadline, "nginx did not listen within 10 s"
            time.sleep(0.02)
        yield Proxy(port, process, folder)
    finally:
        _stop(process)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """Every process's configuration, logs and files, removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="cc-deploy-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx() -> str:
    binary = _nginx_binary()
    if binary is None:
        unreachable("nginx is not installed (apt-get install nginx)")
    return binary


@pytest.fixture(scope="module")
def database(databases: Databases) -> str:
    """A PostgreSQL database of this module's, migrated and seeded (MMN)."""
    url = databases.fresh()
    seed_database(url)
    return url


@pytest.fixture(scope="module")
def writer_key(database: str) -> str:
    return new_key(database, "proxied-writer", Scope.WRITE)


@contextmanager
def behind_nginx(
    database: str, folder: Path, writer_key: str, **settings: str
) -> Iterator[Topology]:
    """Two `serve` processes with `settings`, and nginx in front of them."""
    with (
        serving(database, folder, 2, **settings) as servers,
        proxying(folder / "nginx", [s.address for s in servers]) as proxy,
    ):
        yield Topology(proxy, servers, writer_key)


def _until_listening(server: Server) -> None:
    """A process remembers its checks only once it listens for change notifications."""
    deadline = time.monotonic() + 10
    while "listening for content changes" not in server.messages("info"):
        assert time.monotonic() < deadline, f"{server.address} never started listening"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def proxied(nginx: str, database: str, writer_key: str, workdir: Path) -> Iterator[Topology]:
    """Two processes behind nginx, without a write limit, each remembering its checks for up
    to 30 s: only a change notification makes one forget sooner."""
    settings = {"WRITE_RATE_LIMIT": "", "READ_STALENESS_S": "30"}
    with behind_nginx(database, workdir / "proxied", writer_key, **settings) as topology:
        for server in topology.servers:
            _until_listening(server)
        yield topology


WRITE_LIMIT = 5


@pytest.fixture
def limited(
    nginx: str, database: str, writer_key: str, workdir: Path, redis_prefix: str
) -> Iterator[Topology]:
    """Two processes behind nginx counting WRITE_LIMIT writes a minute in the shared Redis."""
    settings = {
        "WRITE_RATE_LIMIT": f"{WRITE_LIMIT}/minute",
        "RATE_LIMIT_STORAGE": REDIS,
        "RATE_LIMIT_PREFIX": redis_prefix,
    }
    with behind_nginx(database, workdir / "limited", writer_key, **settings) as topology:
        yield topology


@dataclass
class RedisServer:
    port: int
    process: "subprocess.Popen[bytes]"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def private_redis(workdir: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, on a free port, with nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        unreachable("redis-server is not installed (apt-get install redis-server)")
    folder = workdir / "redis"
    folder.mkdir()
    port = free_port()
    with (folder / "redis.log").open("wb") as sink:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder)],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = RedisServer(port, process)
    try:
        client = redis.Redis.from_url(server.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                assert process.poll() is None, f"redis-server exited {process.returncode}"
                assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
                time.sleep(0.05)
        client.close()
        yield server
    finally:
        _stop(process)


FALLBACK_LIMIT = 3


@pytest.fixture
def redis_goes_away(
    nginx: str, database: str, writer_key: str, workdir: Path, private_redis: RedisServer
) -> Iterator[Topology]:
    """Two processes behind nginx counting FALLBACK_LIMIT writes a minute in the private Redis."""
    settings = {
        "WRITE_RATE_LIMIT": f"{FALLBACK_LIMIT}/minute",
        "RATE_LIMIT_STORAGE": private_redis.url,
    }
    with behind_nginx(database, workdir / "redis-goes-away", writer_key, **settings) as topology:
        yield topology


# --- writes through both processes ------------------------------------------------------------

WRITERS = 4
ROUNDS = 6
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class Attempt:
    round: int
    status: int
    revision: int | None  # of a 200
    review_due: str
    problem: str | None  # the problem type of an error


def _revision(base: str) -> int:
    response = httpx.get(f"{base}{MMN}")
    assert response.status_code == 200, response.text
    revision: int = response.json()["revision"]
    return revision


@on_postgres
def test_concurrent_writers_through_the_proxy_lose_no_update(proxied: Topology) -> None:
    """Each round, every writer reads the record through nginx, then all PATCH it at once with
    the ETag they read: one wins (at most), the others get 412, never a 5xx; every win is a
    revision of its own, and the history holds each with what was sent."""
    start = _revision(proxied.servers[0].base)
    barrier = threading.Barrier(WRITERS)

    def writer(n: int) -> list[Attempt]:
        attempts = []
        with httpx.Client(base_url=proxied.base, timeout=30) as client:
            for round_ in range(ROUNDS):
                due = f"{2040 + round_}-01-{n + 1:02d}"  # one date per writer and round
                barrier.wait(timeout=30)
                etag = client.get(MMN).headers["etag"]
                barrier.wait(timeout=30)  # everyone has read: now all write at once
                response = client.patch(
                    MMN,
                    json={"review_due": due},
                    headers={**proxied.auth, "If-Match": etag, "Content-Type": MERGE_PATCH},
                )
                ok = response.status_code == 200
                attempts.append(
                    Attempt(
                        round_,
                        response.status_code,
                        response.json()["revision"] if ok else None,
                        due,
                        None if ok else response.json().get("type"),
                    )
                )
        return attempts

    with ThreadPoolExecutor(WRITERS) as pool:
        attempts = [a for done in pool.map(writer, range(WRITERS)) for a in done]

    assert len(attempts) == WRITERS * ROUNDS
    assert {(a.status, a.problem) for a in attempts} <= {
        (200, None),
        (412, "urn:problem:precondition-failed"),
    }, attempts
    won = sorted((a for a in attempts if a.status == 200), key=lambda a: a.revision or 0)
    for round_ in range(ROUNDS):
        assert sum(a.round == round_ for a in won) <= 1, f"two writes won round {round_}"
    assert won, "no write won any round"
    # Every win is the next revision: none was lost, none counted twice.
    assert [a.revision for a in won] == list(range(start + 1, start + 1 + len(won)))
    # The PATCHes went through nginx to both processes.
    patched_by = {e["upstream"] for e in proxied.proxy.access() if e["method"] == "PATCH"}
    assert patched_by >= {s.address for s in proxied.servers}, patched_by

    with httpx.Client(base_url=proxied.servers[0].base) as client:
        history = client.get(f"{MMN}/revisions", params={"limit": 100}).json()["items"]
        numbers = {item["number"] for item in history}
        for attempt in won:
            assert attempt.revision in numbers
            entry = client.get(f"{MMN}/revisions/{attempt.revision}").json()
            assert entry["change"] == {"review_due": attempt.review_due}
    for server in proxied.servers:  # both serve the last win (told within milliseconds)
        deadline = time.monotonic() + NOTIFIED_WITHIN_S
        while (record := httpx.get(f"{server.base}{MMN}").json())["revision"] != won[-1].revision:
            assert time.monotonic() < deadline, f"{server.address} serves {record['revision']}"
            time.sleep(0.02)
        assert record["review_due"] == won[-1].review_due


@on_postgres
def test_both_processes_serve_a_write_through_the_proxy_at_once(proxied: Topology) -> None:
    """Each process has the record in its caches (its checks remembered for 30 s); a write
    through nginx lands on one of them, and both serve it within NOTIFIED_WITHIN_S: the other
    process was told by a change notification."""
    identity = {"Accept-Encoding": "identity"}  # one ETag form for the comparison
    for server in proxied.servers:
        warm = [httpx.get(f"{server.base}{MMN}", headers=identity) for _ in range(3)]
        assert {r.status_code for r in warm} == {200}
        assert len({r.headers["etag"] for r in warm}) == 1
    before = httpx.get(f"{proxied.base}{MMN}", headers=identity)
    written = httpx.patch(
        f"{proxied.base}{MMN}",
        json={"review_due": "2039-12-31"},
        headers={**proxied.auth, **identity, "If-Match": before.headers["etag"],
                 "Content-Type": MERGE_PATCH},
    )  # fmt: skip
    assert written.status_code == 200, written.text
    revision, etag = written.json()["revision"], written.headers["etag"]
    assert etag != before.headers["etag"]
    written_at = time.monotonic()
    for server in proxied.servers:
        while True:
            response = httpx.get(f"{server.base}{MMN}", headers=identity)
            if response.headers["etag"] == etag:
                break
            waited = time.monotonic() - written_at
            assert waited < NOTIFIED_WITHIN_S, f"{server.address}: stale after {waited:.1f} s"
            time.sleep(0.01)
        assert response.json()["revision"] == revision
        assert response.json()["review_due"] == "2039-12-31"
        # Its conditional answers follow too: the new ETag is current, the old one is not.
        for tag, status in [(etag, 304), (before.headers["etag"], 200)]:
            conditional = {**identity, "If-None-Match": tag}
            assert httpx.get(f"{server.base}{MMN}", headers=conditional).status_code == status


# --- rate limits across processes -------------------------------------------------------------


def _bad_create(base: str, headers: dict[str, str]) -> httpx.Response:
    # An invalid body: counted against the limit, answered 422, and nothing is written.
    return httpx.post(f"{base}/v1/conditions", json={}, headers=headers)


def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:problem:rate-limited"
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 60
    return seconds


@on_postgres
def test_the_write_limit_holds_across_both_processes(
    limited: Topology, redis_prefix: str, database: str
) -> None:
    """Writes alternating between the two processes with one key count in one Redis: exactly
    WRITE_LIMIT pass in all, then either process answers 429 with Retry-After, and so does
    nginx. The address is nginx's view of the client: a client's own X-Forwarded-For does not
    open a new count through it."""
    first, second = limited.servers
    order = [first, second] * WRITE_LIMIT
    answers = [_bad_create(server.base, limited.auth).status_code for server in order[:WRITE_LIMIT]]
    assert answers == [422] * WRITE_LIMIT
    for server in (second, first):
        _retry_after(_bad_create(server.base, limited.auth))
    _retry_after(_bad_create(limited.base, limited.auth))

    other = {"Authorization": f"Bearer {new_key(database, 'second-writer', Scope.WRITE)}"}
    claimed = {**other, "X-Forwarded-For": "203.0.113.9"}
    _retry_after(_bad_create(limited.base, claimed))  # nginx sent the address it saw
    # Straight from a proxy the app trusts (127.0.0.1), the header is the client's address:
    # a new count, which is why nginx must replace what clients send.
    assert _bad_create(first.base, claimed).status_code == 422

    stored = redis.Redis.from_url(REDIS)
    try:
        assert list(stored.scan_iter(f"{redis_prefix}:*"))  # counted there, under the prefix
    finally:
        stored.close()
    for server in limited.servers:
        assert server.messages("warning") == []


@on_postgres
def test_a_redis_that_goes_away_fails_no_request(
    redis_goes_away: Topology, private_redis: RedisServer
) -> None:
    """Shared while Redis is there; once it is gone, each process counts in its own memory
    (the documented fallback: the limit holds per process), logs one warning, and no request
    fails for it."""
    first, second = redis_goes_away.servers
    auth = redis_goes_away.auth
    shared = [_bad_create(s.base, auth).status_code for s in (first, second, first)]
    assert shared == [422] * FALLBACK_LIMIT
    _retry_after(_bad_create(second.base, auth))

    _stop(private_redis.process)

    for server in (first, second):  # a count of its own, from zero
        started = time.monotonic()
        after = [_bad_create(server.base, auth).status_code for _ in range(FALLBACK_LIMIT)]
        assert after == [422] * FALLBACK_LIMIT, server.address
        _retry_after(_bad_create(server.base, auth))
        assert time.monotonic() - started < 10, "requests waited on the missing Redis"
        assert httpx.get(f"{server.base}{MMN}").status_code == 200
    through = [_bad_create(redis_goes_away.base, auth).status_code for _ in range(4)]
    assert set(through) == {429}, through
    assert httpx.get(f"{redis_goes_away.base}{MMN}").status_code == 200
    for server in (first, second):
        assert server.messages("warning") == [UNREACHABLE_STORAGE]  # once per process
        assert server.messages("error") == []


# --- what nginx does to requests and answers --------------------------------------------------


def _raw(
    client: httpx.Client, method: str, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent (still compressed)."""
    with client.stream(method, url, headers=headers) as response:
        return response, b"".join(response.iter_raw())


PASSED_HEADERS = ("etag", "content-encoding", "content-type", "cache-control", "vary",
                  "last-modified", "location", "content-length")  # fmt: skip


def _unstamped(body: bytes) -> bytes:
    """A body with a gzip stream's MTIME (bytes 4-7, the second it was compressed) zeroed: two
    compressions of the same bytes a second apart differ there and nowhere else."""
    if body[:2] == b"\x1f\x8b":
        return body[:4] + bytes(4) + body[8:]
    return body


@on_postgres
def test_the_proxy_passes_the_apps_answers_as_they_are(proxied: Topology) -> None:
    """Compressed bodies, ETags (with their encoding), problem+json errors, 304s, HEAD and the
    request id come through nginx as the process sends them."""
    server = proxied.servers[0]
    paths = [MMN, f"{MMN}/symptoms", "/v1/conditions?limit=5", "/v1/conditions/no-such-record",
             "/v1/conditions?limit=500"]  # fmt: skip
    with httpx.Client(timeout=10) as client:
        for path in paths:
            for encoding in ("identity", "gzip", "br", "zstd"):
                headers = {"Accept-Encoding": encoding}
                direct, direct_body = _raw(client, "GET", f"{server.base}{path}", headers)
                through, body = _raw(client, "GET", f"{proxied.base}{path}", headers)
                assert through.status_code == direct.status_code, path
                for name in PASSED_HEADERS:
                    assert through.headers.get(name) == direct.headers.get(name), (path, name)
                assert _unstamped(body) == _unstamped(direct_body), (path, encoding)
        record = client.get(f"{proxied.base}{MMN}", headers={"Accept-Encoding": "br"})
        assert record.headers["content-encoding"] == "br"
        assert record.headers["etag"].endswith('.br"')
        missing = client.get(f"{proxied.base}/v1/conditions/no-such-record")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["type"] == "urn:problem:condition-not-found"

        tag = record.headers["etag"]
        again = client.get(f"{proxied.base}{MMN}", headers={"If-None-Match": tag})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == tag
        head = client.head(f"{proxied.base}{MMN}", headers={"Accept-Encoding": "br"})
        assert head.status_code == 200
        assert head.headers["etag"] == tag
        assert head.headers["content-length"] == record.headers["content-length"]

        traced = client.get(f"{proxied.base}{MMN}", headers={"X-Request-ID": "trace-42.a"})
        assert traced.headers["x-request-id"] == "trace-42.a"
        assert any(e["request_id"] == "trace-42.a" for e in proxied.proxy.access())
        made = client.get(f"{proxied.base}{MMN}").headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)  # nginx's id, which the app kept
        assert any(e["request_id"] == made for e in proxied.proxy.access())


@on_postgres
def test_the_proxy_passes_the_host_the_client_asked_for(proxied: Topology) -> None:
    """Absolute URLs (the FHIR facade's) name nginx's address, port included, not a process's;
    the scheme is the one nginx saw, whatever the client claims."""
    metadata = httpx.get(
        f"{proxied.base}/fhir/metadata", headers={"X-Forwarded-Proto": "https"}
    ).json()
    assert metadata["implementation"]["url"] == f"{proxied.base}/fhir"
    named = httpx.get(f"{proxied.base}/fhir/metadata", headers={"Host": "api.example.org"})
    assert named.json()["implementation"]["url"] == "http://api.example.org/fhir"


@on_postgres
def test_bodies_up_to_the_apps_limit_reach_it(proxied: Topology) -> None:
    """A body of MAX_BODY_BYTES reaches the app (which answers it); one byte more is refused by
    nginx with the problem the app itself would send."""
    padding = MAX_BODY_BYTES - len('{"padding":""}')
    largest = ('{"padding":"' + "x" * padding + '"}').encode()
    assert len(largest) == MAX_BODY_BYTES
    headers = {**proxied.auth, "Content-Type": "application/json"}
    answered = httpx.post(f"{proxied.base}/v1/conditions", content=largest, headers=headers)
    assert answered.status_code == 422, answered.text[:300]
    assert answered.json()["type"] == "urn:problem:validation-error"  # the app read it all

    too_large = largest + b" "  # one byte more, still JSON
    assert len(too_large) == MAX_BODY_BYTES + 1
    refused = httpx.post(f"{proxied.base}/v1/conditions", content=too_large, headers=headers)
    by_app = httpx.post(
        f"{proxied.servers[0].base}/v1/conditions", content=too_large, headers=headers
    )
    for response in (refused, by_app):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert (problem["type"], problem["max_bytes"]) == (
            "urn:problem:content-too-large",
            MAX_BODY_BYTES,
        )
        assert problem["instance"] == "/v1/conditions"


class Vanishing:
    """An upstream that reads each request and closes the connection without an answer: what
    nginx sees of a process that dies in the middle of a request."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.methods: Counter[str] = Counter()
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._read, args=(connection,), daemon=True).start()

    def _read(self, connection: socket.socket) -> None:
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            while length and len(body) < int(length[1]):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                body += chunk
            with self._lock:
                self.methods[head.split(b" ", 1)[0].decode()] += 1

    def close(self) -> None:
        self._socket.close()


@on_postgres
def test_only_reads_are_tried_on_another_process(proxied: Topology, workdir: Path) -> None:
    """Upstreams: one that takes each request and vanishes, and a real process. Reads that
    meet the first are answered by the second; writes that meet it are not sent again (502):
    nginx would pass a PUT or DELETE on by itself, which could apply a write twice or answer
    412 for a write that was applied."""
    vanishing = Vanishing()
    upstreams = [f"127.0.0.1:{vanishing.port} max_fails=0",  # never set aside: every turn
                 f"{proxied.servers[0].address} max_fails=0"]  # fmt: skip
    writes = {"PUT": MMN, "PATCH": MMN, "POST": "/v1/conditions", "DELETE": MMN}
    statuses: dict[str, Counter[int]] = {m: Counter() for m in ["GET", "HEAD", *writes]}
    try:
        with (
            proxying(workdir / "vanishing", upstreams) as proxy,
            httpx.Client(base_url=proxy.base, timeout=10) as client,
        ):
            for method in statuses:
                path = writes.get(method, MMN)
                body: dict[str, Any] | None = {} if method in ("PUT", "PATCH", "POST") else None
                for _ in range(10):  # until the vanishing upstream has had its turns
                    statuses[method][client.request(method, path, json=body).status_code] += 1
                    if vanishing.methods[method] >= 2:
                        break
    finally:
        vanishing.close()
    for method in ("GET", "HEAD"):
        assert vanishing.methods[method] >= 2, vanishing.methods
        assert set(statuses[method]) == {200}, (method, statuses[method])
    for method in writes:
        assert vanishing.methods[method] >= 2, vanishing.methods
        # Each write the vanishing upstream took is a 502; the others the process answered
        # (401: no key), none of them sent again.
        assert statuses[method][502] == vanishing.methods[method], (method, statuses[method])
        assert set(statuses[method]) <= {502, 401}, (method, statuses[method])


def test_no_process_answering_is_a_problem_answer(nginx: str, workdir: Path) -> None:
    """Nothing listens upstream: nginx answers 502 problem+json with Retry-After, for reads and
    writes, with a path that JSON can hold or not."""
    with (
        proxying(workdir / "nothing", [f"127.0.0.1:{free_port()}"]) as proxy,
        httpx.Client(base_url=proxy.base, timeout=10) as client,
    ):
        for method, path, instance in [
            ("GET", MMN, MMN),
            ("PATCH", MMN, MMN),
            ("GET", "/v1/conditions/a%22b%5Cc", ""),  # a quote and a backslash: left out
        ]:
            response = client.request(method, path)
            assert response.status_code == 502
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "1"
            assert response.json() == {
                "type": "urn:problem:bad-gateway",
                "title": "Bad gateway",
                "status": 502,
                "detail": "No API process answered; try again shortly.",
                "instance": instance,
            }


# --- the compose file -------------------------------------------------------------------------


def _interpolated(value: object) -> str:
    """A compose value as compose fills it when its variables are not set (their defaults)."""
    return re.sub(r"\$\{[A-Z_][A-Z0-9_]*(?::?-([^}]*))?\}", lambda m: m[1] or "", str(value))


def test_the_compose_file_wires_what_the_tests_run() -> None:
    """deploy/compose.yaml cannot run here (no image registry): what can go wrong in its
    wiring is checked instead. The API services' settings are real settings with valid values,
    they serve once the migrate job has succeeded, nginx mounts the template these tests
    render and fills every placeholder of it, and every name used is defined."""
    compose = yaml.safe_load(COMPOSE.read_text())
    services: dict[str, Any] = compose["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        assert set(service.get("networks", [])) <= set(compose["networks"]), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), volume
                assert os.access(DEPLOY / source, os.X_OK) or source.endswith(".template")
            else:
                assert source in compose["volumes"], volume

    api = {name: s for name, s in services.items() if s.get("command") == SERVE}
    assert len(api) >= 2
    settings = {name.upper() for name in Settings.model_fields}
    uvicorn_own = {"FORWARDED_ALLOW_IPS"}  # read by uvicorn, which `serve` runs
    subnet = _interpolated(compose["networks"]["proxy"]["ipam"]["config"][0]["subnet"])
    for name, service in api.items():
        environment = {key: _interpolated(value) for key, value in service["environment"].items()}
        assert set(environment) - settings - uvicorn_own == set(), name
        # Valid values too (the URLs are PostgreSQL's, as the read replica needs).
        Settings.model_validate({k.lower(): v for k, v in environment.items() if k in settings})
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        for variable, host in [("DATABASE_URL", "postgres"),
                               ("DATABASE_READ_URL", "postgres-replica")]:  # fmt: skip
            assert make_url(environment[variable]).host == host in services
        assert environment["RATE_LIMIT_STORAGE"] == "redis://redis:6379" and "redis" in services
        assert environment["FORWARDED_ALLOW_IPS"] == subnet  # where nginx is
        assert "proxy" in service["networks"]
        assert "127.0.0.1:8000/readyz" in " ".join(service["healthcheck"]["test"])

    migrate = services["migrate"]
    assert migrate["command"] == [
        "sh", "-c",
        "python -m app migrate && python -m app seed && python -m app import all --quiet",
    ]  # fmt: skip
    assert migrate["restart"] == "no"
    assert migrate["build"] == api[next(iter(api))]["build"]
    assert migrate["image"] == api[next(iter(api))]["image"]

    nginx = services["nginx"]
    mounts = {
        (DEPLOY / volume.split(":")[0]).resolve(): volume.split(":")[1]
        for volume in nginx["volumes"]
    }
    assert mounts[API_TEMPLATE] == "/etc/nginx/templates/api.conf.template"
    environment = {key: str(value) for key, value in nginx["environment"].items()}
    template = API_TEMPLATE.read_text()
    assert set(PLACEHOLDER.findall(template)) == set(environment)
    # The image's envsubst fills in every variable of the container's environment, braced or
    # not: nginx's own variables must not look like one (they are lower case).
    assert not re.search(r"\$[A-Z]", template)
    upstreams = re.findall(r"server ([\w.-]+):(\d+)\b[^;]*;", environment["API_UPSTREAMS"])
    assert sorted(host for host, _ in upstreams) == sorted(api)
    assert {port for _, port in upstreams} == {"8000"}  # the image's API_PORT
    assert int(environment["MAX_BODY_BYTES"]) == MAX_BODY_BYTES
    assert [_interpolated(port).split(":")[-1] for port in nginx["ports"]] == [
        environment["LISTEN"]
    ]
    assert set(nginx["depends_on"]) == set(api)
    assert nginx["networks"] == ["proxy"]

    primary, replica = services["postgres"], services["postgres-replica"]
    assert replica["environment"]["PRIMARY_HOST"] == "postgres"
    assert (
        replica["environment"]["REPLICATION_PASSWORD"]
        == (primary["environment"]["REPLICATION_PASSWORD"])
    )
    assert replica["entrypoint"] == ["/usr/local/bin/replica-entrypoint.sh"]
    assert replica["depends_on"] == {"postgres": {"condition": "service_healthy"}}
