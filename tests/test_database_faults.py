"""The database going away and coming back, through a TCP proxy the test controls (PostgreSQL;
SQLite is a file inside the process). Probes and data routes answer 503 problems within the
bounded timeouts, /healthz stays 200, service resumes by itself, and a write cut in the
middle of its transaction leaves nothing behind."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.auth import keys
from app.core.config import Settings
from app.core.db import create_db_engine, session_factory_for, transaction
from app.main import create_app
from app.search import indexer
from tests.helpers import Databases, seed_database

pytestmark = pytest.mark.parametrize("databases", ["postgresql"], indirect=True)
MMN = "/v1/conditions/multifocal-motor-neuropathy"
BOUND_S = 12  # connect (5 s) and pool (2 s) timeouts, with room for a slow machine


class Proxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until cut: then every connection, open or new,
    is closed at once, as when the database host goes down."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for end in self.sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def through_proxy(databases: Databases) -> Iterator[tuple[TestClient, Proxy, str, str]]:
    url = databases.fresh()
    seed_database(url)
    with session_factory_for(url) as factory, transaction(factory) as session:
        key = keys.create(session, "faults", [keys.Scope.WRITE]).key
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=proxied))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, proxy, key, url
    finally:
        proxy.close()


def _timed(client: TestClient, method: str, path: str, **kwargs: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.request(method, path, **kwargs)
    return response, time.monotonic() - started


def _until_ok(client: TestClient, path: str) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.get(path).status_code == 200:
            return 200
        time.sleep(0.5)
    return client.get(path).status_code


def test_an_outage_is_503_quickly_and_service_comes_back(
    through_proxy: tuple[TestClient, Proxy, str, str],
) -> None:
    client, proxy, _, _ = through_proxy
    assert client.get("/readyz").status_code == 200
    assert client.get(MMN).status_code == 200  # cached bytes and pooled connections now
    proxy.cut()
    for path in ("/readyz", MMN, f"{MMN}/symptoms", "/v1/conditions", "/v1/search?q=motor"):
        response, took = _timed(client, "GET", path)
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] in (
            "urn:problem:database-unavailable",
            "urn:problem:schema-not-current",
        )
        assert response.headers.get("retry-after") or path == "/readyz"
        assert took < BOUND_S, (path, took)
    assert client.get("/healthz").status_code == 200  # liveness never touches the database
    proxy.restore()
    for path in ("/readyz", MMN, "/v1/conditions", "/v1/search?q=motor"):
        assert _until_ok(client, path) == 200, path  # no restart


def test_a_write_cut_mid_transaction_leaves_nothing(
    through_proxy: tuple[TestClient, Proxy, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, proxy, key, _ = through_proxy
    before = client.get(MMN)
    history = client.get(f"{MMN}/revisions").json()["total"]
    rebuild = indexer.rebuild

    def cut_then_rebuild(*args: Any, **kwargs: Any) -> Any:
        proxy.cut()  # the record, its sections and its revision are written by now
        return rebuild(*args, **kwargs)

    monkeypatch.setattr(indexer, "rebuild", cut_then_rebuild)
    response = client.patch(
        MMN,
        json={"synonyms": ["Lost"], "sections": {"overview": None}},
        headers={
            "Authorization": f"Bearer {key}",
            "If-Match": before.headers["etag"],
            "Content-Type": "application/merge-patch+json",
        },
    )
    assert response.status_code == 503
    assert response.json()["type"] == "urn:problem:database-unavailable"
    monkeypatch.setattr(indexer, "rebuild", rebuild)
    proxy.restore()
    assert _until_ok(client, MMN) == 200
    after = client.get(MMN)
    assert after.headers["etag"] == before.headers["etag"]
    assert after.json()["synonyms"] == before.json()["synonyms"]
    assert "overview" in after.json()["sections"]
    assert client.get(f"{MMN}/revisions").json()["total"] == history


def test_statements_of_the_serving_app_are_bounded(databases: Databases) -> None:
    """STATEMENT_TIMEOUT_MS reaches PostgreSQL: a statement running longer is cancelled, which
    the app answers as a 503 problem."""
    url = databases.fresh()
    engine = create_db_engine(url, statement_timeout_ms=200)
    try:
        with engine.connect() as connection:
            started = time.monotonic()
            with pytest.raises(OperationalError) as error:
                connection.execute(text("SELECT pg_sleep(3)"))
            assert time.monotonic() - started < 2.5
            assert "statement timeout" in str(error.value)
    finally:
        engine.dispose()
    commands = create_db_engine(url)  # commands (imports) run unbounded
    try:
        with commands.connect() as connection:
            assert connection.scalar(text("SHOW statement_timeout")) == "0"
    finally:
        commands.dispose()
