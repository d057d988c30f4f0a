"""Conditions ranked by symptoms, through HTTP on both engines, on the fixture corpus."""

import pytest
from fastapi.testclient import TestClient

MMN = "multifocal-motor-neuropathy"


def _mmn_phenotypes(corpus: TestClient) -> list[str]:
    symptoms = corpus.get(f"/v1/conditions/{MMN}/symptoms").json()
    return [p["hpo_id"] for group in symptoms["annotations"] for p in group["present"]]


def test_mmn_ranks_first_from_part_of_its_phenotypes_and_noise(corpus: TestClient) -> None:
    phenotypes = _mmn_phenotypes(corpus)
    assert len(phenotypes) >= 4
    given = [*phenotypes[1:4], "HP:0001250"]  # some removed, one unrelated term added
    body = corpus.get("/v1/conditions/match", params={"symptoms": ",".join(given)}).json()
    assert body["items"][0]["slug"] == MMN
    top = body["items"][0]
    assert top["matched"] == 3
    assert {match["given"] for match in top["matches"]} == set(given[:3])
    assert all(match["disease"] == "ORPHA:641" for match in top["matches"])
    assert "not a diagnosis" in body["disclaimer"]
    assert [term["hpo_id"] for term in body["given"]] == given
    assert top["score"] > 0 and 0 < top["coverage"] <= 1


def test_a_more_general_term_matches_more_specific_annotations(corpus: TestClient) -> None:
    weakness = "HP:0001324"  # Muscle weakness; MMN is annotated with Limb muscle weakness
    body = corpus.post("/v1/conditions/match", json={"symptoms": [weakness]}).json()
    mmn = next(item for item in body["items"] if item["slug"] == MMN)
    (match,) = mmn["matches"]
    assert match["given"] == weakness
    assert match["relation"] in ("same", "more specific")
    if match["relation"] == "more specific":
        assert match["hpo_id"] != weakness


def test_rarer_phenotypes_weigh_more(corpus: TestClient) -> None:
    body = corpus.get("/v1/conditions/match", params={"symptoms": "HP:0012078,HP:0001324"}).json()
    given = {term["hpo_id"]: term["information_content"] for term in body["given"]}
    assert given["HP:0012078"] > given["HP:0001324"]  # conduction block is rarer than weakness


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"symptoms": "HP:9999999"}, ["query", "symptoms", 0]),
        ({"symptoms": "banana"}, ["query", "symptoms", 0]),
        ({"symptoms": ""}, ["query", "symptoms"]),
        ({"symptoms": ",".join(["HP:0012078"] * 31)}, ["query", "symptoms"]),
    ],
)
def test_bad_terms_are_422_naming_them(corpus: TestClient, params: dict, where: list) -> None:
    response = corpus.get("/v1/conditions/match", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == where


def test_post_validates_the_body(corpus: TestClient) -> None:
    assert corpus.post("/v1/conditions/match", json={"symptoms": []}).status_code == 422
    assert corpus.post("/v1/conditions/match", json={"symptoms": ["x"]}).status_code == 422
    extra = corpus.post("/v1/conditions/match", json={"symptoms": ["HP:0012078"], "x": 1})
    assert extra.status_code == 422
    ok = corpus.post("/v1/conditions/match", json={"symptoms": ["hp:0012078"], "limit": 1})
    assert ok.status_code == 200
    assert len(ok.json()["items"]) == 1


def test_an_oversized_body_is_413_before_parsing(corpus: TestClient) -> None:
    huge = b'{"symptoms": ["' + b"x" * (1024 * 1024 + 1) + b'"]}'
    response = corpus.post(
        "/v1/conditions/match", content=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_a_chunked_oversized_body_is_413_too(corpus: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"symptoms": ["'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"]}'

    response = corpus.post(
        "/v1/conditions/match", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
