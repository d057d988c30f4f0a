"""The MMN record, its sections and the section vocabulary, read over HTTP like a client."""

import pytest
from fastapi.testclient import TestClient

from app.core.migrations import head_revision
from app.models.kinds import SectionKind

MMN = "/v1/conditions/multifocal-motor-neuropathy"
SEEDED_KINDS = [
    "overview", "types", "causes", "symptoms", "diagnosis", "treatments", "drugs",
    "surgeries", "complications", "prevention", "prognosis", "when-to-see-a-doctor",
]  # fmt: skip


def test_symptoms_are_the_five_from_the_article(client: TestClient) -> None:
    response = client.get(f"{MMN}/symptoms")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["kind"] == "symptoms"
    names = [item["name"] for item in body["items"]]
    assert names == [
        "Muscle weakness",
        "Muscle wasting (atrophy)",
        "Muscle twitching and cramps",
        "Difficulty with fine motor tasks",
        "Fatigue",
    ]
    assert "hands" in body["items"][0]["description"]
    assert set(body["items"][0]) == {
        "name", "display_name", "description", "frequency", "onset", "codes",
        "provenance", "diseases", "source",
    }  # fmt: skip
    assert body["items"][0]["provenance"] == "curated"
    assert body["summary_provenance"] == "curated"


def test_section_carries_provenance_and_disclaimer(client: TestClient) -> None:
    body = client.get(f"{MMN}/symptoms").json()
    assert body["condition"] == {
        "slug": "multifocal-motor-neuropathy",
        "name": "Multifocal motor neuropathy",
        "display_name": "Multifocal motor neuropathy",
        "links": {"self": MMN},
    }
    [source] = body["sources"]
    assert source["title"] == "Multifocal Motor Neuropathy (MMN)"
    assert source["url"] == "https://rxharun.com/"
    assert "All rights reserved" in source["licence"]
    assert source["retrieved"] == "2026-11-25"
    assert body["last_reviewed"] == "2026-11-25"
    assert "not medical advice" in body["disclaimer"]
    assert body["links"] == {"self": f"{MMN}/symptoms", "condition": MMN}


@pytest.mark.parametrize("kind", SEEDED_KINDS)
def test_every_seeded_section_has_its_own_url(client: TestClient, kind: str) -> None:
    response = client.get(f"{MMN}/{kind}")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == kind
    assert body["title"]
    assert body["summary"]
    assert body["links"]["self"] == f"{MMN}/{kind}"


def test_items_are_typed_per_kind(client: TestClient) -> None:
    drugs = client.get(f"{MMN}/drugs").json()["items"]
    assert [d["name"] for d in drugs] == [
        "Intravenous immunoglobulin (IVIG)",
        "Corticosteroids",
        "Immunosuppressants",
    ]
    assert drugs[2]["drug_class"] == "Immunosuppressant"
    assert drugs[2]["examples"] == ["azathioprine", "cyclophosphamide"]
    assert "frequency" not in drugs[0]

    tests = client.get(f"{MMN}/diagnosis").json()["items"]
    assert {t["name"]: t["kind"] for t in tests} == {
        "Electromyography (EMG)": "electrodiagnostic",
        "Nerve conduction studies": "electrodiagnostic",
        "Blood tests": "laboratory",
        "Physical examination": "exam",
    }
    causes = client.get(f"{MMN}/causes").json()["items"]
    assert [c["kind"] for c in causes] == ["genetic", "environmental", "immune"]
    treatments = client.get(f"{MMN}/treatments").json()["items"]
    assert [t["name"] for t in treatments] == [
        "Physical therapy",
        "Occupational therapy",
        "Assistive devices",
        "Speech therapy",
        "Pain management",
    ]


def test_whole_record(client: TestClient) -> None:
    response = client.get(MMN)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Multifocal motor neuropathy"
    assert body["synonyms"] == ["MMN"]
    assert body["status"] == "published"
    assert body["revision"] == 1
    assert list(body["sections"]) == SEEDED_KINDS
    assert body["sections"]["symptoms"]["items"][0]["name"] == "Muscle weakness"
    assert body["links"]["sections"]["drugs"] == f"{MMN}/drugs"
    assert [(c["system"], c["code"], c["curie"]) for c in body["codes"]] == [
        ("orpha", "641", "ORPHA:641"),
        ("icd10cm", "G61.82", "ICD10CM:G61.82"),
        ("mondo", "0018979", "MONDO:0018979"),
    ]
    assert body["codes"][0]["url"] == "https://www.orpha.net/en/disease/detail/641"
    assert all(code["relation"] == "exact" for code in body["codes"])
    assert body["sources"][0]["publisher"] == "RxHarun (Mediarx International LTD)"
    assert body["review_due"] == "2027-11-25"
    assert body["updated_at"].endswith("Z") or body["updated_at"].endswith("+00:00")
    assert body["disclaimer"]


def test_section_in_record_equals_section_endpoint(client: TestClient) -> None:
    record = client.get(MMN).json()
    for kind, section in record["sections"].items():
        standalone = client.get(f"{MMN}/{kind}").json()
        for field in ("kind", "title", "summary", "items", "sources"):
            assert standalone[field] == section[field], (kind, field)


def test_section_vocabulary(client: TestClient) -> None:
    response = client.get("/v1/sections")
    assert response.status_code == 200
    body = response.json()
    assert [entry["kind"] for entry in body] == [kind.value for kind in SectionKind]
    symptoms = next(entry for entry in body if entry["kind"] == "symptoms")
    assert symptoms["item_type"] == "symptom"
    assert symptoms["schema_org"] == "https://schema.org/SymptomsHealthAspect"


def test_missing_section_names_what_exists(client: TestClient) -> None:
    response = client.get(f"{MMN}/epidemiology")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:problem:section-not-found"
    assert body["section"] == "epidemiology"
    assert body["available"] == SEEDED_KINDS
    assert "no 'epidemiology' section" in body["detail"]


def test_unknown_section_kind_lists_valid_kinds(client: TestClient) -> None:
    response = client.get(f"{MMN}/horoscope")
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "urn:problem:unknown-section-kind"
    assert body["valid_kinds"] == [kind.value for kind in SectionKind]
    assert "'horoscope' is not a section kind" in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/conditions/no-such-condition",
        "/v1/conditions/no-such-condition/symptoms",
        "/v1/conditions/no-such-condition/horoscope",
    ],
)
def test_unknown_condition(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "urn:problem:condition-not-found"
    assert body["slug"] == "no-such-condition"
    assert body["instance"] == path


@pytest.mark.parametrize("slug", ["Upper-Case", "under_score", "-leading", "a" * 201])
def test_malformed_slug_is_422(client: TestClient, slug: str) -> None:
    response = client.get(f"/v1/conditions/{slug}")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["loc"] == ["path", "slug"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {
        "status": "ok",
        "database": "ok",
        "schema_revision": head_revision(),
        "replica": {"status": "not_configured", "replay_lag_s": None},
    }
