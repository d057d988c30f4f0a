"""Search and autocomplete through HTTP on both engines, on the fixture corpus."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.helpers import make_client, seed_database

MMN = "multifocal-motor-neuropathy"


def _search(client: TestClient, q: str, **params: object) -> dict:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_name_ranks_first_with_where_it_matched(corpus: TestClient) -> None:
    body = _search(corpus, "multifocal motor neuropathy")
    assert body["match"] == "text"
    assert body["corrected_query"] is None
    top = body["items"][0]
    assert top["slug"] == MMN
    assert top["name_match"] == "exact"
    assert top["matched_fields"][0] == "name"
    assert "<mark>" in top["snippet"]
    assert top["links"]["self"] == f"/v1/conditions/{MMN}"
    assert body["total"] >= 1


@pytest.mark.parametrize(
    "typo",
    ["mutlifocal motor neuropathy", "multifocal motor neuropaty", "multifocal mtor neuropathy"],
)
def test_misspellings_are_corrected_and_said(corpus: TestClient, typo: str) -> None:
    body = _search(corpus, typo)
    assert body["match"] == "corrected"
    assert body["corrected_query"] == "multifocal motor neuropathy"
    assert body["did_you_mean"] == body["corrected_query"]
    assert body["searched_for"] == "multifocal motor neuropathy"
    assert body["items"][0]["slug"] == MMN


def test_an_abbreviation_given_as_synonym(corpus: TestClient) -> None:
    top = _search(corpus, "MMN")["items"][0]
    assert (top["slug"], top["name_match"]) == (MMN, "synonym")


@pytest.mark.parametrize("code", ["G61.82", "g6182", "ORPHA:641", "orpha 641", "MONDO:0018979"])
def test_codes_find_the_conditions_that_carry_them(corpus: TestClient, code: str) -> None:
    body = _search(corpus, code)
    assert body["match"] == "code"
    assert [item["slug"] for item in body["items"]] == [MMN]
    assert body["items"][0]["matched_fields"] == ["codes"]


def test_a_phenotype_code_finds_the_conditions_listing_it(corpus: TestClient) -> None:
    weakness = corpus.get("/v1/symptoms/muscle-weakness").json()["code"]
    body = _search(corpus, weakness)
    assert body["match"] == "code"
    assert MMN in [item["slug"] for item in body["items"]]


def test_filters_and_facets(corpus: TestClient) -> None:
    broad = _search(corpus, "weakness")
    assert broad["total"] > 1
    facets = broad["facets"]
    assert facets["section"]["symptoms"] == broad["total"]  # every match lists weakness
    assert facets["source"]["rxharun-mmn"] == 1
    drugs = _search(corpus, "weakness", section="drugs")
    assert [item["slug"] for item in drugs["items"]] == [MMN]
    assert _search(corpus, "weakness", source="rxharun-mmn")["total"] == 1
    icd = _search(corpus, "weakness", code_system="icd10cm")
    assert MMN in [item["slug"] for item in icd["items"]]


def test_pages_and_links(corpus: TestClient) -> None:
    first = _search(corpus, "weakness", limit=1)
    assert len(first["items"]) == 1
    assert first["links"]["next"] == "/v1/search?q=weakness&limit=1&offset=1"
    second = corpus.get(first["links"]["next"]).json()
    assert second["items"][0]["slug"] != first["items"][0]["slug"]
    assert second["links"]["prev"] is not None


@pytest.mark.parametrize(
    "q",
    ['multifocal" OR 1=1 --', "neuropathy*", "NEAR(a b)", "motor:neuropathy", "'; DROP TABLE x"],
)
def test_query_syntax_is_never_interpreted(corpus: TestClient, q: str) -> None:
    response = corpus.get("/v1/search", params={"q": q})
    assert response.status_code == 200
    assert response.json()["match"] in ("text", "corrected", "none")


@pytest.mark.parametrize(
    "params", [{"q": ""}, {"q": "!!!"}, {"q": "a\x00b"}, {"q": "x", "limit": 0}, {}]
)
def test_bad_queries_are_422(corpus: TestClient, params: dict) -> None:
    response = corpus.get("/v1/search", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_nothing_found_says_so(corpus: TestClient) -> None:
    body = _search(corpus, "zzzzqqqq")
    assert (body["match"], body["total"], body["items"]) == ("none", 0, [])


def test_the_index_follows_writes(fresh_db: str, tmp_path: Path) -> None:
    seed_database(
        fresh_db,
        factories.write_seed(
            tmp_path / "a.yaml", [factories.condition("alpha-disease", name="Alphaitis")]
        ),
    )
    with make_client(fresh_db) as client:
        assert _search(client, "alphaitis")["items"][0]["slug"] == "alpha-disease"
        renamed = factories.condition("alpha-disease", name="Betaosis")
        seed_database(fresh_db, factories.write_seed(tmp_path / "a.yaml", [renamed]))
        assert _search(client, "alphaitis")["total"] == 0
        assert _search(client, "betaosis")["items"][0]["slug"] == "alpha-disease"


def test_autocomplete_by_kind(corpus: TestClient) -> None:
    def complete(q: str) -> list[tuple[str, str]]:
        response = corpus.get("/v1/autocomplete", params={"q": q, "limit": 5})
        assert response.status_code == 200
        return [(item["kind"], item["label"]) for item in response.json()["items"]]

    assert complete("multif")[0] == ("condition", "Multifocal motor neuropathy")
    assert ("synonym", "MMN") in complete("mm")
    assert ("symptom", "Muscle weakness") in complete("muscle w")
    assert ("condition", "Multifocal motor neuropathy") in complete("motor")  # a later word
    item = corpus.get("/v1/autocomplete", params={"q": "muscle w"}).json()["items"][0]
    assert item["links"]["self"].startswith("/v1/symptoms/")
    assert corpus.get("/v1/autocomplete", params={"q": ""}).status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/v1/search?q=weakness",
        "/v1/autocomplete?q=mu",
        "/v1/conditions/match?symptoms=HP:0001324",
    ],
)
def test_answers_revalidate_with_their_etag(corpus: TestClient, path: str) -> None:
    first = corpus.get(path)
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = corpus.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
