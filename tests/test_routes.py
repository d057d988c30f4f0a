"""Paths that a route owns: 405 and OPTIONS name exactly that route's methods, and every such
path is reserved (tests/editing/test_reserved_slugs.py: no record can take it as its slug)."""

import re

from fastapi.testclient import TestClient
from starlette.routing import Match

from app.core.routing import RouteIndex
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


_PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")
_SAMPLES = {"path": "a/b.js", "int": "7", "condition_slug": "some-record"}


def _scope(path: str, method: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_the_route_index_picks_what_trying_every_route_picks(client: TestClient) -> None:
    """For a path of every route (and a few that no route has), the index hands the request to
    the route the router would reach by trying every route in order, or to none."""
    routes = client.app.router.routes  # type: ignore[attr-defined]
    index, declared = routes[0], routes[1:]
    assert isinstance(index, RouteIndex)
    paths = {
        _PARAMETER.sub(lambda m: _SAMPLES.get(m.group(2) or "", "x1"), route.path)
        for route in declared
        if isinstance(getattr(route, "path", None), str)
    }
    paths |= {"/v1/conditions/", "/v1/nowhere", "/nowhere/at/all", "/docs-assets/x/y.js"}
    checked = 0
    for path in sorted(paths):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            first = next(
                (r for r in declared if r.matches(_scope(path, method))[0] is Match.FULL), None
            )
            match, child = index.matches(_scope(path, method))
            picked = child.get("app.route_index.selected") if match is Match.FULL else None
            assert picked is first, (method, path, picked, first)
            checked += first is not None
    assert checked > len(paths), "too few paths reached a route to test anything"
