"""The search quality set: on the whole corpus, on both engines, each query must find its
condition in the top 3 (names, misspellings, synonyms and abbreviations the sources give,
codes of several systems, codes no condition carries, symptom words), and a
symptom match must rank MMN first. Runs with FULL_CORPUS=1 (as in .ci/run)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.helpers import make_client

MMN = "multifocal-motor-neuropathy"
# Common conditions and their lay names: each must rank its record first, not only top 3.
# ("high blood pressure" is HP:0000822 Hypertension's lay name, but that term meets no
# ICD-10-CM title, so it is no record; see app/importers/hpo_conditions.py.)
COMMON_FIRST = [
    ("asthma", "asthma"),
    ("hay fever", "allergic-rhinitis"),
    ("heart attack", "myocardial-infarction"),
    ("type 2 diabetes", "type-ii-diabetes-mellitus"),
    ("myocardial infarction", "myocardial-infarction"),
    ("migraine", "migraine"),
    ("stroke", "stroke"),
    # an ICD-10-CM "Includes" note (I10) makes Hypertension a record; its lay name finds it
    ("high blood pressure", "hypertension"),
    ("hypertension", "hypertension"),
    ("gout", "gout"),
]
QUALITY_SET = [
    # names
    ("multifocal motor neuropathy", MMN),
    ("cystic fibrosis", "cystic-fibrosis"),
    ("marfan syndrome", "marfan-syndrome"),
    ("huntington disease", "huntington-disease"),
    ("fabry disease", "fabry-disease"),
    ("gaucher disease", "gaucher-disease"),
    ("duchenne muscular dystrophy", "duchenne-muscular-dystrophy"),
    ("rett syndrome", "rett-syndrome"),
    ("prader willi syndrome", "prader-willi-syndrome"),
    ("angelman syndrome", "angelman-syndrome"),
    ("williams syndrome", "williams-syndrome"),
    ("noonan syndrome", "noonan-syndrome"),
    ("tuberous sclerosis", "tuberous-sclerosis-complex"),
    ("phenylketonuria", "phenylketonuria"),
    ("achondroplasia", "achondroplasia"),
    # misspellings
    ("multifocal motor neuropaty", MMN),
    ("mutlifocal motor neuropathy", MMN),
    ("cystic fibrossis", "cystic-fibrosis"),
    ("marfan syndrom", "marfan-syndrome"),
    ("huntingtn disease", "huntington-disease"),
    ("gaucer disease", "gaucher-disease"),
    ("duchene muscular dystrophy", "duchenne-muscular-dystrophy"),
    ("prader wili syndrome", "prader-willi-syndrome"),
    ("angelmann syndrome", "angelman-syndrome"),
    ("tuberus sclerosis", "tuberous-sclerosis-complex"),
    ("fenylketonuria", "phenylketonuria"),
    ("acondroplasia", "achondroplasia"),
    # an abbreviation the sources give as a synonym
    ("MMN", MMN),
    # codes, as people write them
    ("G61.82", MMN),
    ("G6182", MMN),
    ("ORPHA:641", MMN),
    ("MONDO:0018979", MMN),
    ("ORPHA:586", "cystic-fibrosis"),
    ("OMIM:219700", "cystic-fibrosis"),
    ("OMIM:154700", "marfan-syndrome"),
    ("ORPHA:558", "marfan-syndrome"),
    ("E75.22", "gaucher-disease"),
    # ICD-10-CM codes: E84.9 "Cystic fibrosis, unspecified" is a computed link of the record
    # now (the match key drops ", unspecified"); the others no condition carries, so what
    # ICD-10-CM calls them
    ("E84.9", "cystic-fibrosis"),
    ("G10", "huntington-disease"),
    ("E70.0", "classic-phenylketonuria"),
    # symptom words
    ("motor conduction block weakness fasciculations", MMN),
    ("elbow hypertrichosis", "hairy-elbows"),
    ("lens subluxation aortic dilatation", "marfan-syndrome"),
    # common conditions built from HPO terms, by name and by lay name
    *COMMON_FIRST,
]


@pytest.fixture(scope="module")
def client(full_corpus_url: str) -> Iterator[TestClient]:
    with make_client(full_corpus_url) as test_client:
        yield test_client


def test_the_quality_set_finds_each_condition_in_the_top_3(client: TestClient) -> None:
    misses = []
    for query, expected in QUALITY_SET:
        body = client.get("/v1/search", params={"q": query, "limit": 3}).json()
        slugs = [item["slug"] for item in body["items"]]
        if expected not in slugs:
            misses.append((query, expected, body["match"], slugs))
    assert len(QUALITY_SET) >= 30
    assert misses == []


def test_common_conditions_and_lay_names_rank_first(client: TestClient) -> None:
    misses = []
    for query, expected in COMMON_FIRST:
        body = client.get("/v1/search", params={"q": query, "limit": 3}).json()
        slugs = [item["slug"] for item in body["items"]]
        offered = client.get("/v1/autocomplete", params={"q": query}).json()["items"]
        if slugs[:1] != [expected] or [item["slug"] for item in offered[:1]] != [expected]:
            misses.append((query, expected, slugs, [item["slug"] for item in offered[:3]]))
    assert misses == []


# Gene symbols, as typed: the best-known disease listing the gene first.
GENE_FIRST = [
    ("CFTR", "cystic-fibrosis"), ("cftr", "cystic-fibrosis"), ("FBN1", "marfan-syndrome"),
    ("HTT", "huntington-disease"), ("DMD", "duchenne-muscular-dystrophy"),
    ("PAH", "phenylketonuria"), ("MECP2", "rett-syndrome"),
]  # fmt: skip


def test_a_gene_symbol_ranks_its_best_known_condition_first(client: TestClient) -> None:
    misses = []
    for query, expected in GENE_FIRST:
        body = client.get("/v1/search", params={"q": query, "limit": 3}).json()
        slugs = [item["slug"] for item in body["items"]]
        if slugs[:1] != [expected]:
            misses.append((query, expected, slugs))
    assert misses == []


def test_a_symptom_match_ranks_mmn_first(client: TestClient) -> None:
    symptoms = client.get(f"/v1/conditions/{MMN}/symptoms").json()
    phenotypes = [p["hpo_id"] for group in symptoms["annotations"] for p in group["present"]]
    given = [*phenotypes[::2], "HP:0001250"]  # every other one, and seizures (noise)
    body = client.get("/v1/conditions/match", params={"symptoms": ",".join(given)}).json()
    assert body["items"][0]["slug"] == MMN


def test_term_search_puts_the_exact_name_first(client: TestClient) -> None:
    for q in ("muscle weakness", "fatigue"):
        body = client.get("/v1/symptoms", params={"q": q}).json()
        assert body["items"][0]["name"].lower() == q


def test_an_icd_code_no_condition_carries_finds_what_it_names(client: TestClient) -> None:
    # E11.9 is "Type 2 diabetes mellitus without complications": a record sharing only "type"
    # and "complicated" with it must not come first.
    body = client.get("/v1/search", params={"q": "E11.9", "limit": 3}).json()
    assert body["match"] == "code_name"
    assert all("diabetes" in item["name"].lower() for item in body["items"])


def test_a_broad_hpo_code_lists_its_conditions_and_match_pages_past_50(
    client: TestClient,
) -> None:
    code = client.get("/v1/codes/hpo/HP:0001250").json()
    assert code["conditions_total"] > 1000 and len(code["conditions"]) == 20
    params = {"symptoms": "seizure", "limit": 100, "offset": 100}
    body = client.get("/v1/conditions/match", params=params).json()
    assert body["total"] > 1000 and body["offset"] == 100 and len(body["items"]) == 100
