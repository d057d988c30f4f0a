"""Hostile input, on both engines: each request gets its status and a problem body, never a
5xx; no value ever reaches the database inside SQL text (only as a bound parameter); nothing
changes."""

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from app.auth import keys
from app.core.config import Settings
from app.core.db import session_factory_for, transaction
from app.main import create_app
from tests.helpers import live_server, seed_database

MMN = "/v1/conditions/multifocal-motor-neuropathy"
MARK = "zq9hostile"  # in every injected value, to find it in SQL text if it ever got there
LONG = "x" * 10_000

# (method, path, status, problem type)
REQUESTS: list[tuple[str, str, int, str]] = [
    # SQL metacharacters and quotes in every kind of parameter
    ("GET", f"/v1/conditions/a'--{MARK}", 422, "validation-error"),
    (
        "GET",
        f"/v1/conditions/%27%3B%20DROP%20TABLE%20conditions%3B--{MARK}",
        422,
        "validation-error",
    ),
    ("GET", f"{MMN}/symptoms?format=%27{MARK}", 422, "validation-error"),
    ("GET", f"/v1/conditions?letter=%27{MARK}", 422, "validation-error"),
    ("GET", f"/v1/conditions?status=published%27--{MARK}", 422, "validation-error"),
    ("GET", f"/v1/symptoms/%27or%271%27%3D%271{MARK}", 422, "validation-error"),
    ("GET", f"/v1/codes/icd10cm/G61%27%3B--{MARK}", 422, "validation-error"),
    ("GET", f"/v1/codes/%27{MARK}/G61", 422, "validation-error"),
    # ... which free text is only text: searched for, answered as usual
    ("GET", f"/v1/autocomplete?q=%27%22%3B{MARK}", 200, ""),
    ("GET", f"/v1/search?q=%27%20OR%201%3D1%20--{MARK}", 200, ""),
    ("GET", f'/v1/search?q="%3B DROP TABLE conditions {MARK}', 200, ""),
    ("GET", f"/v1/symptoms?q=%25%27%20OR%20%271%27%3D%271{MARK}", 200, ""),
    ("GET", f"/v1/drugs?q=_%25{MARK}", 200, ""),
    ("GET", f"/v1/conditions/match?symptoms=HP%3A0000001%27{MARK}", 422, "validation-error"),
    ("GET", f"/v1/changes?since=1%20OR%201%3D1{MARK}", 422, "validation-error"),
    # Very long values (10 kB)
    ("GET", f"/v1/conditions/{LONG}", 422, "validation-error"),
    ("GET", f"/v1/search?q={LONG}", 422, "validation-error"),
    ("GET", f"/v1/symptoms?q={LONG}", 422, "validation-error"),
    ("GET", f"/v1/autocomplete?q={LONG}", 422, "validation-error"),
    ("GET", f"/v1/conditions?cursor={LONG}", 422, "validation-error"),
    ("GET", f"{MMN}?fields={LONG}", 422, "validation-error"),
    # Invalid UTF-8 and NUL bytes
    ("GET", "/v1/search?q=%FF%FE", 422, "validation-error"),
    ("GET", "/v1/search?q=%00", 422, "validation-error"),
    ("GET", "/v1/symptoms?q=%00", 422, "validation-error"),
    ("GET", "/v1/conditions/%00", 422, "validation-error"),
    ("GET", "/v1/conditions/%FF", 422, "validation-error"),
    ("GET", "/v1/autocomplete?q=%00", 422, "validation-error"),
    ("GET", "/v1/codes/icd10cm/%00", 422, "validation-error"),
    ("GET", "/v1/symptoms/%00", 422, "validation-error"),
    # Negative, huge and non-numeric numbers; forged cursors
    ("GET", "/v1/conditions?limit=-1", 422, "validation-error"),
    ("GET", "/v1/conditions?limit=99999999999999999999", 422, "validation-error"),
    ("GET", "/v1/conditions?limit=abc", 422, "validation-error"),
    ("GET", "/v1/conditions?offset=-5", 422, "validation-error"),
    ("GET", "/v1/conditions?offset=1e309", 422, "validation-error"),
    ("GET", "/v1/search?q=a&limit=NaN", 422, "validation-error"),
    ("GET", "/v1/changes?since=-1", 422, "validation-error"),
    ("GET", "/v1/changes?since=99999999999999999999999", 422, "validation-error"),
    ("GET", "/v1/conditions?cursor=abc", 422, "validation-error"),
    ("GET", "/v1/conditions?cursor=eyJkIjoiYWZ0ZXIiLCJrIjoxfQ", 422, "validation-error"),
    ("GET", "/v1/conditions?cursor=eyJkIjoic2lkZXdheXMiLCJrIjoiYSJ9", 422, "validation-error"),
    ("GET", f"{MMN}/revisions/-1", 422, "validation-error"),
    ("GET", f"{MMN}/revisions/99999999999", 422, "validation-error"),
    # Unknown section kinds and fields
    ("GET", f"{MMN}/horoscope", 404, "unknown-section-kind"),
    ("PUT", f"{MMN}/horoscope", 404, "unknown-section-kind"),
    ("GET", f"{MMN}?fields=nope", 422, "validation-error"),
    ("GET", "/v1/conditions?fields=name,nope", 422, "validation-error"),
    # Path traversal shapes
    ("GET", "/v1/conditions/../../etc/passwd", 404, "not-found"),
    ("GET", "/v1/conditions/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404, "not-found"),
    ("GET", "/v1/conditions/..%2F..%2Fetc%2Fpasswd", 404, "not-found"),
    ("GET", "/docs-assets/../../../etc/passwd", 404, "not-found"),
    ("GET", "/docs-assets/1.7.7/..%2F..%2Fapp%2Fmain.py", 404, "not-found"),
    ("GET", "/v1/symptoms/..%2F..%2Fetc%2Fpasswd", 404, "not-found"),
]

# Writes (with a valid key): malformed JSON, wrong content types, hostile text, big bodies.
WRITES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/v1/conditions", {"content": b"{not json"}, 422, "validation-error"),
    ("POST", "/v1/conditions", {"content": b"[1, 2"}, 422, "validation-error"),
    ("POST", "/v1/conditions", {"json": [1, 2]}, 422, "validation-error"),
    ("POST", "/v1/conditions", {"content": b"\xff\xfe{}"}, 422, "validation-error"),
    ("POST", "/v1/conditions", {"content": b"slug: x", "ctype": "text/yaml"}, 415,
     "unsupported-media-type"),
    ("POST", "/v1/conditions", {"content": b"{}", "ctype": ""}, 415, "unsupported-media-type"),
    ("POST", "/v1/conditions", {"json": {"slug": f"a'{MARK}", "name": "x"}}, 422,
     "validation-error"),
    ("POST", "/v1/conditions", {"json": {"name": f"x\u0000{MARK}"}}, 422, "validation-error"),
    ("POST", "/v1/conditions", {"content": b'{"a": "' + b"x" * (1024 * 1024) + b'"}'}, 413,
     "content-too-large"),
    ("PATCH", MMN, {"content": b"{not json", "ctype": "application/merge-patch+json"}, 422,
     "validation-error"),
    ("PATCH", MMN, {"json": {"sections": {"symptoms": {"items": [{"name": f"\u0000{MARK}"}]}}}},
     422, "validation-error"),
    ("PATCH", MMN, {"json": {"slug": f"../../{MARK}"}}, 422, "validation-error"),
    ("PUT", f"{MMN}/symptoms", {"json": {"items": "not a list"}}, 422, "validation-error"),
]  # fmt: skip


@pytest.fixture(scope="module")
def hostile(databases: Any) -> Iterator[tuple[TestClient, str, list[str]]]:
    url = databases.fresh()
    seed_database(url)
    with session_factory_for(url) as factory, transaction(factory) as session:
        key = keys.create(session, "hostile", [keys.Scope.WRITE]).key
    app = create_app(Settings(database_url=url, write_rate_limit=""))
    statements: list[str] = []

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, key, statements


def _counts(client: TestClient) -> dict[str, int]:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return {
            table: connection.scalar(text(f"SELECT COUNT(*) FROM {table}"))
            for table in ("conditions", "sections", "section_items", "codes", "terms",
                          "condition_revisions", "condition_changes")
        }  # fmt: skip


def _assert_problem(response: Any, status: int, problem: str) -> None:
    assert response.status_code == status, response.text[:300]
    if not problem:  # an ordinary answer
        assert response.headers["content-type"] == "application/json"
        return
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:problem:{problem}"
    assert body["detail"]
    assert "Traceback" not in response.text and "SELECT" not in response.text


@pytest.mark.parametrize(("method", "path", "status", "problem"), REQUESTS)
def test_hostile_requests_get_clear_problems(
    hostile: tuple[TestClient, str, list[str]], method: str, path: str, status: int, problem: str
) -> None:
    client, key, statements = hostile
    before = _counts(client)
    statements.clear()
    response = client.request(method, path, headers={"Authorization": f"Bearer {key}"})
    _assert_problem(response, status, problem)
    if status == 200:
        assert statements, "the value did reach the database (as a parameter)"
    assert not [s for s in statements if MARK in s]
    assert _counts(client) == before


@pytest.mark.parametrize(("method", "path", "request_args", "status", "problem"), WRITES)
def test_hostile_writes_change_nothing(
    hostile: tuple[TestClient, str, list[str]],
    method: str,
    path: str,
    request_args: dict[str, Any],
    status: int,
    problem: str,
) -> None:
    client, key, statements = hostile
    etag = client.get(MMN).headers["etag"]
    before = _counts(client)
    args = dict(request_args)
    headers = {"Authorization": f"Bearer {key}", "If-Match": etag}
    ctype = args.pop("ctype", "application/merge-patch+json" if method == "PATCH" else None)
    if "content" in args:
        headers["Content-Type"] = ctype if ctype is not None else "application/json"
        if headers["Content-Type"] == "":
            del headers["Content-Type"]
    elif ctype:
        headers["Content-Type"] = ctype
    statements.clear()
    response = client.request(method, path, headers=headers, **args)
    _assert_problem(response, status, problem)
    assert not [s for s in statements if MARK in s]
    assert _counts(client) == before
    assert client.get(MMN).headers["etag"] == etag


TRAVERSALS = [
    "/v1/conditions/../../etc/passwd",
    "/v1/conditions/multifocal-motor-neuropathy/../../../etc/passwd",
    "/docs-assets/../../../etc/passwd",
    "/docs-assets/1.7.7/../../../../app/main.py",
    "/v1/symptoms/../../../etc/passwd",
]


def test_dot_segments_reach_the_server_and_are_refused(hostile: Any) -> None:
    """Sent as raw bytes over a socket (HTTP clients remove dot segments before sending)."""
    client, _, _ = hostile
    with live_server(client.app) as base:
        host, port = base.removeprefix("http://").split(":")
        for path in TRAVERSALS:
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                )
                reply = b""
                while chunk := sock.recv(65536):
                    reply += chunk
            head, _, body = reply.partition(b"\r\n\r\n")
            status = int(head.split()[1])
            assert status in (404, 422), (path, head[:200])
            assert b"application/problem+json" in head.lower(), path
            assert b"root:" not in body and b"create_app" not in body, path
