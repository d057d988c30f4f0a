"""Every error, from our domain or from the framework, is one problem+json shape."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.core.config import Settings
from app.core.migrations import head_revision
from app.main import create_app
from tests.helpers import make_client

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}

ERROR_REQUESTS = [
    ("GET", "/v1/conditions/unknown-thing", 404),
    ("GET", "/v1/conditions/unknown-thing/symptoms", 404),
    ("GET", "/v1/conditions/multifocal-motor-neuropathy/epidemiology", 404),
    ("GET", "/v1/conditions/multifocal-motor-neuropathy/horoscope", 404),
    ("GET", "/v1/no-such-route", 404),
    ("GET", "/v1/conditions?limit=1000", 422),
    ("GET", "/v1/conditions?cursor=%00%01", 422),
    ("GET", "/v1/conditions/BAD_SLUG", 422),
    ("POST", "/v1/conditions/multifocal-motor-neuropathy", 405),
    ("DELETE", "/v1/sections", 405),
    ("POST", "/v1/conditions", 401),
    ("DELETE", "/v1/conditions/multifocal-motor-neuropathy", 401),
    ("PUT", "/v1/conditions/multifocal-motor-neuropathy/horoscope", 404),
    ("PUT", "/v1/conditions/multifocal-motor-neuropathy/document", 405),
]


@pytest.mark.parametrize(("method", "path", "status"), ERROR_REQUESTS)
def test_error_shape(client: TestClient, method: str, path: str, status: int) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("urn:problem:")
    assert body["instance"] == path.split("?")[0]
    assert body["detail"]
    if status == 422:
        assert body["errors"] and all(set(e) == {"loc", "msg", "type"} for e in body["errors"])


def test_405_says_which_methods_are_allowed(client: TestClient) -> None:
    response = client.post("/v1/conditions/multifocal-motor-neuropathy")
    assert response.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE"
    # The record's read-only sub-resources are not taken for unknown section kinds.
    document = client.put("/v1/conditions/multifocal-motor-neuropathy/document")
    assert document.headers["allow"] == "GET, HEAD"


def test_internal_error_hides_the_trace(seeded_url: str) -> None:
    app = create_app(Settings(database_url=seeded_url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: SELECT * FROM conditions")

    @app.get("/bad-sql")
    def bad_sql() -> None:  # a bug that reaches the database: its error quotes the SQL
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT secret_column FROM no_such_table"))

    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/boom", "/bad-sql"):
            response = client.get(path)
            assert response.status_code == 500
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["type"] == "urn:problem:internal-error"
            for leak in ("secret", "SELECT", "no_such_table", "Traceback", "File "):
                assert leak not in response.text, (path, leak)


def test_database_down_gives_503_but_liveness_stays_up(seeded_url: str) -> None:
    # Nothing listens on port 9 (discard); on SQLite a path in a missing folder cannot open.
    if seeded_url.startswith("sqlite"):
        url = "sqlite:///file:/nonexistent-dir/x.sqlite3?mode=ro&uri=true"
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:9/test"
    with make_client(url) as client:
        assert client.get("/healthz").status_code == 200
        for path in ("/readyz", "/v1/conditions", "/v1/conditions/multifocal-motor-neuropathy"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "5"
            body = response.json()
            assert body["type"] == "urn:problem:database-unavailable"
            assert "psycopg" not in response.text and "sqlite3" not in response.text


def test_unmigrated_database_is_not_ready(databases) -> None:
    """Reachable but never migrated: readiness says so; data routes fail as a bug, not as an
    outage, and the same way on both engines."""
    with TestClient(
        create_app(Settings(database_url=databases.create())), raise_server_exceptions=False
    ) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["type"] == "urn:problem:schema-not-current"
        assert ready.json()["expected_revision"] == head_revision()
        assert "python -m app migrate" in ready.json()["detail"]
        data = client.get("/v1/conditions")
        assert data.status_code == 500
        assert data.json()["type"] == "urn:problem:internal-error"
