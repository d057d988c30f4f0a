"""The documentation tells the truth: OpenAPI examples are live responses, /docs renders,
every setting is documented in README."""

import re
import tomllib
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.core.config import PROJECT_ROOT, Settings
from app.models.kinds import SectionKind

MMN = "/v1/conditions/multifocal-motor-neuropathy"
VOLATILE = {"created_at", "updated_at"}


def _without_timestamps(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in VOLATILE}


def _example(openapi: dict, path: str) -> dict:
    content = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return content["example"]


def test_docs_page_renders(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text
    redoc = client.get("/redoc")
    assert redoc.status_code == 200
    for page in (response, redoc):  # assets come from the installed package, never a CDN
        assert "/docs-assets/" in page.text
        assert not re.search(r"cdn\.jsdelivr|unpkg|googleapis", page.text)
        assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', response.text + redoc.text):
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert "immutable" in served.headers["cache-control"]


def test_every_section_kind_has_a_typed_documented_route(client: TestClient) -> None:
    openapi = client.get("/openapi.json").json()
    for kind in SectionKind:
        operation = openapi["paths"][f"/v1/conditions/{{slug}}/{kind.value}"]["get"]
        assert operation["tags"] == ["conditions"]
        assert operation["operationId"] == f"conditions-get_{kind.value.replace('-', '_')}"
        assert {"200", "404", "422", "503"} <= set(operation["responses"])
        for status in ("404", "422", "503"):
            content = operation["responses"][status]["content"]
            assert list(content) == ["application/problem+json"]  # what the server sends
            assert content["application/problem+json"]["schema"]["$ref"] == (
                "#/components/schemas/Problem"
            )
    schemas = openapi["components"]["schemas"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(
        schemas["Problem"]["properties"]
    )
    assert "FieldError" in schemas
    symptom_items = schemas["SymptomsSectionResponse"]["properties"]["items"]["items"]
    drug_items = schemas["DrugsSectionResponse"]["properties"]["items"]["items"]
    assert symptom_items["$ref"].endswith("/SymptomItemOut")
    assert drug_items["$ref"].endswith("/DrugItemOut")
    assert {"frequency", "codes", "diseases", "source"} <= set(
        schemas["SymptomItemOut"]["properties"]
    )
    assert {"drug_class", "display_name"} <= set(schemas["DrugItemOut"]["properties"])


def test_examples_are_live_responses(client: TestClient) -> None:
    openapi = client.get("/openapi.json").json()
    record = client.get(MMN).json()
    assert _without_timestamps(_example(openapi, "/v1/conditions/{slug}")) == _without_timestamps(
        record
    )
    for kind in record["sections"]:
        live = client.get(f"{MMN}/{kind}").json()
        documented = _example(openapi, f"/v1/conditions/{{slug}}/{kind}")
        assert _without_timestamps(documented) == _without_timestamps(live), kind
    listed = client.get("/v1/conditions", params={"letter": "m"}).json()["items"][0]
    documented_list = _example(openapi, "/v1/conditions")["items"][0]
    assert _without_timestamps(documented_list) == _without_timestamps(listed)


def test_the_version_is_pyprojects(client: TestClient) -> None:
    """One version number: pyproject.toml's, which the OpenAPI document and `/` report."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    version = pyproject["project"]["version"]
    assert metadata.version("condition-content-api") == version, "reinstall: pip install -e ."
    assert client.get("/openapi.json").json()["info"]["version"] == version
    assert client.get("/").json()["version"] == version


def test_root_points_to_the_docs(client: TestClient) -> None:
    for accept in (None, "*/*", "application/json"):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/", headers=headers)
        assert response.status_code == 200, accept
        assert response.headers["content-type"] == "application/json"
        links = response.json()["links"]
        assert {"docs", "redoc", "openapi", "conditions"} <= set(links)
        for link in links.values():  # every link leads somewhere
            assert client.get(link).status_code == 200, link
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    redirect = client.get("/", headers={"Accept": browser}, follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "/docs"
    assert "accept" in redirect.headers["vary"].lower()
    assert "/" not in client.get("/openapi.json").json()["paths"]  # a signpost, not the API


def test_every_setting_is_documented_in_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    settings = {name.upper() for name in Settings.model_fields}
    assert settings <= documented, f"undocumented settings: {settings - documented}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(python3 -m venv .venv && .*)\n```", readme)
    assert len(commands) == 2, "README must show the serve and the test command"
    test_command = next(command for command in commands if "pytest" in command)
    ci_lines = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_ci_leaves_the_working_venv_alone() -> None:
    """.ci/run makes its own virtualenv anew (.venv-ci), never deletes the developer's .venv."""
    script = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert not re.search(r"rm\s+-\w*\s+\S*\.venv(/|\s|$)", script)
    assert "rm -rf .venv-ci" in script
    assert ".venv-ci/" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()


def test_constraints_pin_every_installed_dependency() -> None:
    """constraints.txt holds an exact version of each distribution the project needs, its
    dependencies' dependencies included, so every install (CI, README, Dockerfile) is the one
    that was tested."""
    lines = (PROJECT_ROOT / "constraints.txt").read_text().splitlines()
    pins = dict(line.split("==", 1) for line in lines if line and not line.startswith("#"))
    pinned = {canonicalize_name(name) for name in pins}

    def needed(name: str, extras: set[str], seen: set[str]) -> set[str]:
        name = canonicalize_name(name)
        if name in seen:
            return seen
        seen.add(name)
        for requirement in map(Requirement, metadata.requires(name) or []):
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
                needed(requirement.name, set(requirement.extras), seen)
        return seen

    required = needed("condition-content-api", {"dev"}, set()) - {"condition-content-api"}
    assert required <= pinned, f"not pinned in constraints.txt: {sorted(required - pinned)}"
    assert all(metadata.version(name) == pins[name] for name in pins if _installed(name))


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _walk(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_every_pattern_in_the_document_is_a_valid_json_schema_regex(client: TestClient) -> None:
    """Clients and validators (jsonschema-rs here, as schemathesis uses) must be able to use
    every pattern the document states; one they refuse is silently ignored by some tools."""
    document = client.get("/openapi.json").json()
    patterns = {node["pattern"] for node in _walk(document) if isinstance(node.get("pattern"), str)}
    assert len(patterns) > 5
    for pattern in patterns:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def test_every_response_header_has_a_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for name, header in response.get("headers", {}).items():
                    assert "schema" in header, (method, path, status, name)
