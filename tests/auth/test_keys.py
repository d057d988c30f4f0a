"""API keys (issue 7, first part): made by the command line, shown once, stored as a hash;
with READS_REQUIRE_KEY, /v1 reads need one. Through HTTP and the CLI, on both engines."""

import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.auth import keys
from app.core.config import PROJECT_ROOT
from app.core.db import session_factory_for, transaction
from tests.helpers import make_client, seed_database

MMN = "/v1/conditions/multifocal-motor-neuropathy"


def _new_key(url: str, name: str, *scopes: keys.Scope, expires: timedelta | None = None) -> str:
    with session_factory_for(url) as factory, transaction(factory) as session:
        return keys.create(session, name, list(scopes) or [keys.Scope.READ], expires).key


@pytest.fixture
def gated(fresh_db: str) -> tuple[str, TestClient]:
    seed_database(fresh_db)
    return fresh_db, make_client(fresh_db, reads_require_key=True)


def test_reads_need_a_valid_key_when_required(gated: tuple[str, TestClient]) -> None:
    url, client = gated
    key = _new_key(url, "reader")
    with client:
        missing = client.get(MMN)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="condition-content-api"'
        assert missing.json()["type"] == "urn:problem:unauthorized"
        wrong = client.get(MMN, headers={"Authorization": f"Bearer {key[:-2]}xx"})
        assert wrong.status_code == 401
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        keyed = client.get(MMN, headers={"Authorization": f"Bearer {key}"})
        assert keyed.status_code == 200
        assert keyed.headers["cache-control"].startswith("private")  # not for shared caches
        assert "Authorization" in keyed.headers["vary"]
        assert client.get(MMN, headers={"X-API-Key": key}).status_code == 200
        # Liveness, docs and browsers' preflights stay open.
        assert client.get("/healthz").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        preflight = client.options(
            MMN, headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 200


def test_reads_need_a_key_under_a_proxy_prefix_too(fresh_db: str) -> None:
    """Behind a proxy that mounts the API under a prefix (uvicorn --root-path), the guard
    looks at the path the routes match, not the one the proxy sent."""
    seed_database(fresh_db)
    app = make_client(fresh_db, reads_require_key=True).app
    with TestClient(app, root_path="/api") as client:
        for path in (MMN, "/fhir/metadata"):
            assert client.get(f"/api{path}").status_code == 401, path
        assert client.get("/api/healthz").status_code == 200


def test_revoked_and_expired_keys_are_refused(gated: tuple[str, TestClient]) -> None:
    url, client = gated
    revoked = _new_key(url, "old")
    expired = _new_key(url, "brief", expires=timedelta(seconds=-1))
    with session_factory_for(url) as factory, transaction(factory) as session:
        keys.revoke(session, "old")
    with client:
        for key in (revoked, expired):
            assert client.get(MMN, headers={"X-API-Key": key}).status_code == 401


def test_secrets_are_stored_hashed_and_never_logged(
    gated: tuple[str, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    url, client = gated
    key = _new_key(url, "auditor", keys.Scope.WRITE)
    caplog.set_level(logging.DEBUG)
    with client:
        assert client.get(MMN, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert key not in caplog.text
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys")).mappings().all()
    engine.dispose()
    (row,) = rows
    assert all(key not in str(value) for value in row.values())
    assert key.split("_", 2)[2] not in str(dict(row))
    assert row["last_used_at"] is not None
    assert row["scopes"] in (["write"], '["write"]')


def test_scopes_include_the_lesser_ones() -> None:
    writer = keys.Caller("w", frozenset({"write"}))
    assert writer.may(keys.Scope.READ) and writer.may(keys.Scope.WRITE)
    assert not writer.may(keys.Scope.ADMIN)


def test_the_command_line_makes_shows_once_and_lists(fresh_db: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", "keys", *args],
            env={**os.environ, "DATABASE_URL": fresh_db},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    made = run("create", "--name", "editor", "--scopes", "write", "--expires-days", "30")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("cck_")
    assert "cannot be shown again" in made.stderr
    assert key not in made.stderr  # shown once, on stdout only
    assert run("create", "--name", "editor").returncode == 1  # names are unique
    bogus = run("create", "--name", "x", "--scopes", "bogus")
    assert bogus.returncode == 1
    assert "scopes must be some of read, write, admin" in bogus.stderr
    listed = run("list")
    assert "editor\twrite\tactive" in listed.stdout
    assert key not in listed.stdout + listed.stderr
    assert run("revoke", "--name", "editor").returncode == 0
    assert "editor\twrite\trevoked" in run("list").stdout
    assert run("revoke", "--name", "nobody").returncode == 1
    assert run("create").returncode == 2  # --name is required
