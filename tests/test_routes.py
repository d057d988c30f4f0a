"""Paths that a route owns: 405 and OPTIONS name exactly that route's methods, and every such
path is reserved (tests/editing/test_reserved_slugs.py: no record can take it as its slug)."""

import re

from fastapi.testclient import TestClient

from app.core.urls import API_PREFIX, RESERVED_SLUGS
from tests.helpers import MMN

RECORD_METHODS = "GET, HEAD, PUT, PATCH, DELETE"


def test_a_literal_route_allows_only_its_own_methods(client: TestClient) -> None:
    for method in ("OPTIONS", "DELETE", "PUT", "PATCH"):
        answer = client.request(method, f"{API_PREFIX}/conditions/match")
        assert answer.status_code == 405, (method, answer.text)
        assert answer.headers["allow"] == "GET, HEAD, POST", method
        assert answer.headers["content-type"] == "application/problem+json"


def test_a_record_path_allows_the_methods_of_its_routes(client: TestClient) -> None:
    answer = client.options(MMN)
    assert answer.status_code == 405
    assert answer.headers["allow"] == RECORD_METHODS
    assert client.post(MMN).headers["allow"] == RECORD_METHODS


def test_every_literal_path_under_conditions_is_reserved(client: TestClient) -> None:
    """A route added at /v1/conditions/<word> must reserve the word, or a record could take it."""
    owned = set()
    for path in client.app.openapi()["paths"]:  # type: ignore[attr-defined]
        found = re.fullmatch(rf"{API_PREFIX}/conditions/([a-z0-9-]+)(/.*)?", path)
        if found:
            owned.add(found.group(1))
    assert owned, "the test no longer finds the literal routes"
    assert owned <= RESERVED_SLUGS, sorted(owned - RESERVED_SLUGS)
