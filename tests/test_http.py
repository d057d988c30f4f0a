"""Behaviour on the wire that every response shares: request ids, security headers, CORS,
Link headers (caching and compression: test_conditional.py). Through HTTP, on both engines."""

import re

import pytest
from fastapi.testclient import TestClient

MMN = "/v1/conditions/multifocal-motor-neuropathy"


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    mine = client.get("/healthz", headers={"X-Request-ID": "trace-42.a:b"})
    assert mine.headers["x-request-id"] == "trace-42.a:b"
    fresh = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    for hostile in ("x" * 129, "a b", "<script>"):
        replaced = client.get("/healthz", headers={"X-Request-ID": hostile})
        assert replaced.headers["x-request-id"] != hostile
    # Errors carry it too.
    assert client.get("/v1/conditions/nothing-here").headers["x-request-id"]


@pytest.mark.parametrize("path", [MMN, f"{MMN}/symptoms", "/v1/conditions/nothing-here"])
def test_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_docs_pages_have_their_own_policy(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.headers["x-content-type-options"] == "nosniff"
        policy = page.headers["content-security-policy"]
        # Scripts from this origin and the page's own inline script by hash; nothing remote.
        script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
        assert script_src.startswith("script-src 'self'")
        assert "unsafe-inline" not in script_src
        if path == "/docs":  # Swagger UI starts from an inline script: allowed by its hash only
            assert "'sha256-" in script_src
        assert "http" not in policy


def test_cors_for_browsers(client: TestClient) -> None:
    simple = client.get(MMN, headers={"Origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "X-Request-ID" in simple.headers["access-control-expose-headers"]
    preflight = client.options(
        MMN,
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["access-control-allow-methods"]
    # Browser apps may write too: with a key, If-Match and a JSON body.
    write = client.options(
        MMN,
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match, content-type",
        },
    )
    assert write.status_code == 200
    assert "PATCH" in write.headers["access-control-allow-methods"]
    assert "Location" in simple.headers["access-control-expose-headers"]
    refused = client.options(
        MMN,
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "TRACE"},
    )
    assert refused.status_code == 400


def test_link_header_beside_body_links(client: TestClient) -> None:
    # The seed gives five symptom terms: a middle page has both neighbours.
    middle = client.get("/v1/symptoms", params={"limit": 1, "offset": 2})
    links = middle.json()["links"]
    assert middle.json()["total"] == 5
    assert middle.headers["link"] == (
        f'<{links["next"]}>; rel="next", <{links["prev"]}>; rel="prev"'
    )
    assert links["next"] == "/v1/symptoms?limit=1&offset=3"
    only = client.get("/v1/conditions")  # a single page: no Link header
    assert only.json()["links"]["next"] is None
    assert "link" not in only.headers
