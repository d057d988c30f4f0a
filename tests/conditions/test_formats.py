"""Content negotiation on the same URLs (JSON, schema.org JSON-LD, CSV, NDJSON, 406) and sparse
fieldsets. Through HTTP, on both engines."""

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.helpers import make_client, seed_database

MMN = "/v1/conditions/multifocal-motor-neuropathy"
LD = "application/ld+json"


@pytest.mark.parametrize("ask", [{"headers": {"Accept": LD}}, {"params": {"format": "jsonld"}}])
def test_record_as_schema_org_medical_condition(client: TestClient, ask: dict) -> None:
    response = client.get(MMN, **ask)
    assert response.status_code == 200
    assert response.headers["content-type"] == LD
    document = json.loads(response.content)
    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "MedicalCondition"
    record = client.get(MMN).json()
    assert document["name"] == record["name"]
    assert document["@id"] == MMN
    symptoms = {item["name"] for item in record["sections"]["symptoms"]["items"]}
    assert symptoms <= {sign["name"] for sign in document["signOrSymptom"]}
    assert {sign["@type"] for sign in document["signOrSymptom"]} == {"MedicalSignOrSymptom"}
    assert {drug["@type"] for drug in document["drug"]} == {"Drug"}
    for prop in ("possibleTreatment", "typicalTest", "cause"):
        assert document[prop], prop
    codes = {(code["codingSystem"], code["codeValue"]) for code in document["code"]}
    assert ("ICD-10-CM", "G61.82") in codes
    assert all(code["@type"] == "MedicalCode" for code in document["code"])
    assert document["lastReviewed"] == record["last_reviewed"]
    aspects = {part["hasHealthAspect"] for part in document["hasPart"] if "hasHealthAspect" in part}
    assert "https://schema.org/SymptomsHealthAspect" in aspects
    assert document["usageInfo"] == record["disclaimer"]
    assert document["citation"][0]["name"] == record["sources"][0]["title"]
    # Its own validator: JSON and JSON-LD of one record never share an ETag.
    assert response.headers["etag"] != client.get(MMN).headers["etag"]
    assert "Accept" in response.headers["vary"]


def test_section_as_health_topic_content(client: TestClient) -> None:
    document = client.get(f"{MMN}/drugs", headers={"Accept": LD}).json()
    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "HealthTopicContent"
    assert document["hasHealthAspect"] == "https://schema.org/TreatmentsHealthAspect"
    assert document["about"]["@type"] == "MedicalCondition"
    assert document["about"]["drug"]


def test_accept_quality_values_and_default(client: TestClient) -> None:
    assert client.get(MMN, headers={"Accept": "*/*"}).headers["content-type"] == "application/json"
    preferred = client.get(MMN, headers={"Accept": f"application/json;q=0.5, {LD}"})
    assert preferred.headers["content-type"] == LD
    listing = client.get("/v1/conditions", headers={"Accept": "text/csv, */*;q=0.1"})
    assert listing.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("path", "accept"),
    [(MMN, "text/html"), (MMN, "text/csv"), ("/v1/conditions", LD), (MMN, "garbage")],
)
def test_unsupported_accept_is_406_problem(client: TestClient, path: str, accept: str) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:problem:not-acceptable"
    assert "application/json" in body["available"]


@pytest.mark.parametrize("path", [MMN, f"{MMN}/drugs", "/v1/conditions"])
@pytest.mark.parametrize("value", ["xml", "", "JSON"])
def test_unknown_format_parameter_is_422(client: TestClient, path: str, value: str) -> None:
    response = client.get(path, params={"format": value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "format"]
    assert client.get(MMN, params={"format": "csv"}).status_code == 422  # lists only


@pytest.fixture(scope="module")
def many_url(databases, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    """Twelve records with quotes, commas and newlines where CSV must escape them."""
    url = databases.fresh()
    records = [
        factories.condition(
            f"disease-{index:02d}",
            name=f'Disease {index}, "type {index}"',
            synonyms=[f"D{index}", f"Line\nbreak {index}"],
        )
        for index in range(12)
    ]
    seed_database(url, factories.write_seed(tmp_path_factory.mktemp("many") / "s.yaml", records))
    return url


@pytest.fixture(scope="module")
def many(many_url: str) -> TestClient:
    with make_client(many_url) as client:
        yield client  # type: ignore[misc]


def test_csv_export_parses_and_streams_every_row(many: TestClient) -> None:
    response = many.get("/v1/conditions", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 12  # every row, not a page of 20... nor the default page size
    assert [row["slug"] for row in rows] == [f"disease-{index:02d}" for index in range(12)]
    first = rows[0]
    assert first["name"] == 'Disease 0, "type 0"'
    assert first["synonyms"] == "D0 | Line\nbreak 0"
    assert first["url"] == "/v1/conditions/disease-00"
    assert first["section_kinds"] == "overview"
    page = list(csv.DictReader(io.StringIO(many.get("/v1/conditions?format=csv&limit=5").text)))
    assert len(page) == 5


def test_csv_fields_pick_columns(many: TestClient) -> None:
    text = many.get("/v1/conditions", params={"format": "csv", "fields": "name"}).text
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == ["slug", "name"]


def test_ndjson_export_resumes_from_a_cursor(many: TestClient) -> None:
    first = many.get("/v1/conditions", params={"limit": 5}).json()
    cursor = first["links"]["next"].split("cursor=")[1].split("&")[0]
    rest = many.get(
        "/v1/conditions", params={"cursor": cursor}, headers={"Accept": "application/x-ndjson"}
    )
    assert rest.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in rest.text.splitlines()]
    assert [line["slug"] for line in lines] == [f"disease-{index:02d}" for index in range(5, 12)]
    assert set(lines[0]) == set(first["items"][0])  # each line is a summary


def test_export_refuses_a_backward_cursor(many: TestClient) -> None:
    page = many.get("/v1/conditions", params={"limit": 5}).json()
    back = many.get(page["links"]["next"]).json()["links"]["prev"]
    assert "cursor=" in back
    response = many.get(f"{back}&format=ndjson")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_sparse_fields_on_a_record(client: TestClient) -> None:
    body = client.get(MMN, params={"fields": "name,codes,sections.symptoms"}).json()
    assert set(body) == {"slug", "disclaimer", "name", "codes", "sections"}
    assert set(body["sections"]) == {"symptoms"}
    assert body["sections"]["symptoms"]["items"]
    whole = client.get(MMN, params={"fields": "sections"}).json()
    assert len(whole["sections"]) > 5


def test_sparse_fields_on_a_list(client: TestClient) -> None:
    body = client.get("/v1/conditions", params={"fields": "name"}).json()
    assert set(body) == {"items", "total", "limit", "links"}
    assert body["items"] == [
        {"slug": "multifocal-motor-neuropathy", "name": body["items"][0]["name"]}
    ]


@pytest.mark.parametrize(
    "fields", ["nonsense", "name,sections.nope", "", "codes.system", "name," * 300]
)
def test_unknown_fields_are_a_clear_422(client: TestClient, fields: str) -> None:
    response = client.get(MMN, params={"fields": fields})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["loc"] == ["query", "fields"]
    assert "sections.symptoms" in body["valid_fields"]


def test_openapi_documents_the_formats(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    record = paths["/v1/conditions/{slug}"]["get"]
    assert {"application/json", LD} <= set(record["responses"]["200"]["content"])
    assert {"304", "406"} <= set(record["responses"])
    listing = paths["/v1/conditions"]["get"]
    assert {"text/csv", "application/x-ndjson"} <= set(listing["responses"]["200"]["content"])
    for operation in (listing, record):
        names = {param["name"] for param in operation["parameters"]}
        assert {"format", "fields"} <= names
    section = paths["/v1/conditions/{slug}/drugs"]["get"]
    (fmt,) = [param for param in section["parameters"] if param["name"] == "format"]
    assert fmt["schema"]["anyOf"][0]["enum"] == ["json", "jsonld"]


def test_term_lists_export_too(client: TestClient) -> None:
    listing = client.get("/v1/symptoms").json()
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/symptoms?format=csv").text)))
    assert [row["slug"] for row in rows] == [item["slug"] for item in listing["items"]]
    assert rows[0]["url"] == listing["items"][0]["links"]["self"]
    conditions = client.get(
        "/v1/symptoms/muscle-weakness/conditions", headers={"Accept": "application/x-ndjson"}
    )
    lines = [json.loads(line) for line in conditions.text.splitlines()]
    assert [line["slug"] for line in lines] == ["multifocal-motor-neuropathy"]
    assert lines[0]["matches"][0]["via"] == "section"
    assert client.get("/v1/drugs", headers={"Accept": LD}).status_code == 406
