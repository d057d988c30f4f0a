"""Look-ups on first use, through HTTP on both engines: ranked term search, autocomplete order,
one paging rule, code look-ups (HPO terms, status, any-case systems), codes in search, match
by slug or name, and unknown filter values, on the fixture corpus plus two records of our own."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.helpers import MMN_SEED, Databases, make_client, run_imports, seed_database

MMN = "multifocal-motor-neuropathy"
# Seeded before MMN (lower ids): a retired record and a loosely related one carrying its code.
EXTRA = [
    factories.condition(
        "retired-motor-neuropathy",
        "Retired motor neuropathy",
        status="retired",
        codes=[{"system": "icd10cm", "code": "G61.82", "relation": "exact"}],
    ),
    factories.condition(
        "a-related-neuropathy",
        "A related neuropathy",
        codes=[{"system": "icd10cm", "code": "G61.82", "relation": "related"}],
    ),
]


@pytest.fixture(scope="module")
def lookups(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = databases.fresh()
    seed: Path = factories.write_seed(tmp_path_factory.mktemp("seed") / "extra.yaml", EXTRA)
    seed_database(url, seed, MMN_SEED)
    run_imports(url)
    with make_client(url) as client:
        yield client


def _names(body: dict) -> list[str]:
    return [item["name"] for item in body["items"]]


# Point 4: ranked term search, autocomplete order.


@pytest.mark.parametrize("q", ["muscle weakness", "MUSCLE WEAKNESS", "fever"])
def test_term_search_puts_the_exact_name_first(lookups: TestClient, q: str) -> None:
    body = lookups.get("/v1/symptoms", params={"q": q}).json()
    assert _names(body)[0].lower() == q.lower()


def test_term_search_ranks_prefix_then_later_word_then_synonym(lookups: TestClient) -> None:
    names = _names(lookups.get("/v1/symptoms", params={"q": "weakness", "limit": 100}).json())
    # Names holding the word come before terms found by a synonym only (Bulbar palsy: "Bulbar
    # weakness"), shorter names first among equals.
    holding = [name for name in names if "weakness" in name.lower()]
    assert names[: len(holding)] == holding
    assert "Bulbar palsy" in names[len(holding) :]
    lengths = [len(name) for name in holding if " weakness" in name.lower()]
    assert lengths == sorted(lengths)


def test_term_search_finds_synonyms(lookups: TestClient) -> None:
    body = lookups.get("/v1/symptoms", params={"q": "weak arm"}).json()
    assert _names(body) == ["Upper limb muscle weakness"]


def test_term_search_pages_a_stable_order(lookups: TestClient) -> None:
    whole = _names(lookups.get("/v1/symptoms", params={"q": "muscle", "limit": 100}).json())
    paged: list[str] = []
    url: str | None = "/v1/symptoms?q=muscle&limit=7"
    while url:
        body = lookups.get(url).json()
        paged += _names(body)
        url = body["links"]["next"]
    assert paged == whole


@pytest.mark.parametrize("q", ["prox", "motor"])
def test_autocomplete_offers_conditions_before_symptoms(lookups: TestClient, q: str) -> None:
    kinds = [
        item["kind"] for item in lookups.get("/v1/autocomplete", params={"q": q}).json()["items"]
    ]
    assert kinds[0] == "condition"
    order = {"condition": 0, "synonym": 1, "symptom": 2}
    assert [order[kind] for kind in kinds] == sorted(order[kind] for kind in kinds)
    assert "symptom" in kinds


# Point 5: one paging rule.


def test_match_pages_by_offset_with_total_and_links(lookups: TestClient) -> None:
    params = {"symptoms": "HP:0001324", "limit": 2}
    first = lookups.get("/v1/conditions/match", params=params).json()
    assert first["total"] > 2 and first["limit"] == 2 and first["offset"] == 0
    assert first["links"]["prev"] is None
    second = lookups.get(first["links"]["next"]).json()
    assert second["offset"] == 2
    everything = lookups.get("/v1/conditions/match", params={**params, "limit": 100}).json()
    slugs = [item["slug"] for item in everything["items"]]
    assert [item["slug"] for item in first["items"] + second["items"]] == slugs[:4]
    past = lookups.get("/v1/conditions/match", params={**params, "offset": 1000}).json()
    assert past["items"] == [] and past["total"] == first["total"]


def test_match_post_pages_through_get_links(lookups: TestClient) -> None:
    body = {"symptoms": ["muscle-weakness"], "limit": 1, "offset": 1}
    posted = lookups.post("/v1/conditions/match", json=body).json()
    assert posted["offset"] == 1
    following = lookups.get(posted["links"]["next"]).json()
    assert following["offset"] == 2 and following["total"] == posted["total"]


@pytest.mark.parametrize(
    "path",
    ["/v1/conditions", "/v1/symptoms", "/v1/symptoms/HP:0001324/conditions", "/v1/search?q=a",
     "/v1/conditions/match?symptoms=HP:0001324"],
)  # fmt: skip
def test_every_list_takes_limits_1_to_100(lookups: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    ok = lookups.get(f"{path}{sep}limit=100")
    assert ok.status_code == 200
    body = ok.json()
    assert {"items", "total", "limit", "links"} <= set(body)
    assert body["limit"] == 100
    assert lookups.get(f"{path}{sep}limit=101").status_code == 422
    assert lookups.get(f"{path}{sep}limit=0").status_code == 422
    assert lookups.get(f"{path}{sep}offset=1").status_code == 200


# Point 6: code look-ups, status, systems, codes in search, match keys, filter values.


def test_an_hpo_code_lists_the_conditions_annotated_with_it(lookups: TestClient) -> None:
    code = lookups.get("/v1/codes/hpo/HP:0001324").json()
    reverse = lookups.get("/v1/symptoms/HP:0001324/conditions", params={"limit": 100}).json()
    assert code["conditions_total"] == reverse["total"] > 0
    assert [c["slug"] for c in code["conditions"]] == [c["slug"] for c in reverse["items"]][:20]
    assert code["links"]["conditions"] == "/v1/symptoms/HP:0001324/conditions"
    assert {c["relation"] for c in code["conditions"]} == {"annotated"}


def test_status_is_shown_and_retired_records_left_out_alike(lookups: TestClient) -> None:
    code = lookups.get("/v1/codes/icd10cm/G61.82").json()
    assert "retired-motor-neuropathy" not in [c["slug"] for c in code["conditions"]]
    assert {c["status"] for c in code["conditions"]} == {"published"}
    assert code["conditions_total"] == len(code["conditions"])
    retired = lookups.get("/v1/codes/icd10cm/G61.82", params={"status": "retired"}).json()
    assert [(c["slug"], c["status"]) for c in retired["conditions"]] == [
        ("retired-motor-neuropathy", "retired")
    ]
    search = lookups.get("/v1/search", params={"q": "G61.82"}).json()
    assert "retired-motor-neuropathy" not in [item["slug"] for item in search["items"]]
    lists = [
        lookups.get("/v1/conditions").json()["items"],
        lookups.get("/v1/symptoms/HP:0001324/conditions").json()["items"],
        lookups.get("/v1/conditions/match", params={"symptoms": "HP:0001324"}).json()["items"],
        search["items"],
    ]
    for items in lists:
        assert items and {item["status"] for item in items} == {"published"}
    assert lookups.get("/v1/symptoms/HP:0001324/conditions?status=bogus").status_code == 422


@pytest.mark.parametrize("system", ["ICD10CM", "Icd10Cm"])
def test_code_systems_are_case_insensitive(lookups: TestClient, system: str) -> None:
    code = lookups.get(f"/v1/codes/{system}/G61.82")
    assert code.status_code == 200
    assert code.json()["system"] == "icd10cm"
    assert code.json()["links"]["self"] == "/v1/codes/icd10cm/G61.82"
    listed = lookups.get("/v1/conditions", params={"code_system": system})
    assert listed.status_code == 200 and MMN in [c["slug"] for c in listed.json()["items"]]
    search = lookups.get("/v1/search", params={"q": "neuropathy", "code_system": "Orpha"})
    assert search.status_code == 200 and search.json()["total"] > 0


def test_a_code_in_search_ranks_the_surest_link_first(lookups: TestClient) -> None:
    body = lookups.get("/v1/search", params={"q": "G61.82"}).json()
    assert body["match"] == "code"
    assert [item["slug"] for item in body["items"]] == [MMN, "a-related-neuropathy"]


@pytest.mark.parametrize("key", ["HP:0001324", "hp:0001324", "muscle-weakness", "Muscle Weakness"])
def test_match_takes_ids_slugs_or_names(lookups: TestClient, key: str) -> None:
    got = lookups.get("/v1/conditions/match", params={"symptoms": f"{key},HP:0012078"})
    assert got.status_code == 200
    assert [term["hpo_id"] for term in got.json()["given"]] == ["HP:0001324", "HP:0012078"]
    posted = lookups.post("/v1/conditions/match", json={"symptoms": [key]})
    assert posted.status_code == 200 and posted.json()["given"][0]["hpo_id"] == "HP:0001324"


def test_match_names_an_unknown_symptom_by_index(lookups: TestClient) -> None:
    got = lookups.get("/v1/conditions/match", params={"symptoms": "fever,no such symptom"})
    assert got.status_code == 422
    problem = got.json()
    assert problem["errors"] == [
        {
            "loc": ["query", "symptoms", 1],
            "msg": "no such symptom is not an HPO id, slug or name here",
            "type": "unknown_term",
        }
    ]
    posted = lookups.post("/v1/conditions/match", json={"symptoms": ["fever", "nope"]})
    assert posted.status_code == 422
    assert posted.json()["errors"][0]["loc"] == ["body", "symptoms", 1]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/search?q=fever&source=bogus", "source"),
        ("/v1/search?q=fever&section=bogus", "section"),
        ("/v1/search?q=fever&code_system=bogus", "code_system"),
        ("/v1/conditions?code_system=bogus", "code_system"),
        ("/v1/conditions?status=bogus", "status"),
        ("/v1/codes/icd10cm/G61.82?status=bogus", "status"),
    ],
)
def test_unknown_filter_values_are_answered_alike(
    lookups: TestClient, path: str, parameter: str
) -> None:
    response = lookups.get(path)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == f"Invalid value for query.{parameter}."
    (error,) = problem["errors"]
    assert error["loc"] == ["query", parameter] and error["type"] == "enum"
    assert error["msg"].startswith("Input should be ")


def test_known_source_keys_filter_search(lookups: TestClient) -> None:
    body = lookups.get("/v1/search", params={"q": "neuropathy", "source": "hpo-annotations"})
    assert body.status_code == 200 and body.json()["total"] > 0


def test_match_body_takes_a_name_holding_a_comma(lookups: TestClient) -> None:
    body = {"symptoms": ["intellectual disability, severe"]}
    posted = lookups.post("/v1/conditions/match", json=body)
    assert posted.status_code == 200
    assert posted.json()["given"][0]["hpo_id"] == "HP:0010864"
