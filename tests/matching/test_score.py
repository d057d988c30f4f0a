"""The symptom-match score's behaviour, pinned on a small synthetic annotation file over the
real fixture ontology: each test compares records built to differ in one respect only. The
diseases are test data, named as such; they exist only in these tests' databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.db import session_factory_for
from app.importers.files import HpoFiles
from app.importers.service import import_hpo
from tests.helpers import HPO_FILES, Databases, make_client

HEADER = (
    "#description: synthetic annotations for the score's tests\n"
    "#version: 2025-01-16\n"
    "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\t"
    "modifier\taspect\tbiocuration\n"
)
VERY_FREQUENT, OCCASIONAL = "HP:0040281", "HP:0040283"
WEAKNESS = "HP:0001324"  # Muscle weakness
DISTAL = "HP:0002460"  # Distal muscle weakness, below Muscle weakness
PROGRESSIVE_DISTAL = "HP:0009063"  # Progressive distal muscle weakness, below Distal
PROXIMAL = "HP:0003701"  # Proximal muscle weakness, beside Distal
SPASTICITY = "HP:0001257"
FACIAL_PALSY = "HP:0010628"
BULBAR_PALSY = "HP:0001283"
HYPOTONIA = "HP:0001252"
SEIZURE = "HP:0001250"
UPPER_LIMB = "HP:0003484"  # Upper limb muscle weakness, below Limb muscle weakness
LIMB = "HP:0003690"  # Limb muscle weakness
LOWER_LIMB_PROXIMAL = "HP:0008994"  # Proximal muscle weakness in lower limbs, below Limb
# Unrelated leaves, so that a profile can grow without touching the muscle terms.
OTHERS = [
    "HP:0000009", "HP:0000112", "HP:0000135", "HP:0000400", "HP:0000407", "HP:0000508",
    "HP:0000510", "HP:0000529", "HP:0000559", "HP:0000622", "HP:0000787", "HP:0000790",
]  # fmt: skip

# name -> [(HPO id, frequency, NOT)]
PROFILES: dict[str, list[tuple[str, str, bool]]] = {
    "Synthetic exact distal": [(DISTAL, "", False), (HYPOTONIA, "", False)],
    "Synthetic progressive distal": [(PROGRESSIVE_DISTAL, "", False), (HYPOTONIA, "", False)],
    "Synthetic lower limb proximal": [(LOWER_LIMB_PROXIMAL, "", False), (HYPOTONIA, "", False)],
    "Synthetic small": [(FACIAL_PALSY, "", False), (BULBAR_PALSY, "", False)],
    "Synthetic large": [(FACIAL_PALSY, "", False), (BULBAR_PALSY, "", False)]
    + [(term, "", False) for term in OTHERS[:10]],
    "Synthetic very frequent": [(SPASTICITY, VERY_FREQUENT, False), (SEIZURE, "", False)],
    "Synthetic occasional": [(SPASTICITY, OCCASIONAL, False), (SEIZURE, "", False)],
    "Synthetic twin one": [(PROXIMAL, "", False), (OTHERS[11], "", False)],
    "Synthetic twin two": [(PROXIMAL, "", False), (OTHERS[11], "", False)],
    "Synthetic denies palsy": [
        (PROXIMAL, "", False),
        (OTHERS[10], "", False),
        (FACIAL_PALSY, "", True),
    ],
}
# Fillers make the muscle terms rare, as real annotations do (information content >= 2).
FILLERS = {f"Synthetic filler {n:02d}": [(OTHERS[n % 10], "", False)] for n in range(24)}


def _hpoa(profiles: dict[str, list[tuple[str, str, bool]]]) -> str:
    rows = []
    for number, (name, annotations) in enumerate(profiles.items(), start=1):
        for term, frequency, excluded in annotations:
            qualifier = "NOT" if excluded else ""
            rows.append(
                f"OMIM:99{number:05d}\t{name}\t{qualifier}\t{term}\tOMIM:99{number:05d}\tTAS\t"
                f"\t{frequency}\t\t\tP\tHPO:test[2025-01-16]\n"
            )
    return HEADER + "".join(rows)


@pytest.fixture(scope="module")
def scored(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("synthetic-hpo")
    annotations = folder / "phenotype.hpoa"
    annotations.write_text(_hpoa(PROFILES | FILLERS), encoding="utf-8")
    genes = folder / "genes_to_phenotype.txt"
    genes.write_text(HPO_FILES.genes.read_text(encoding="utf-8").splitlines()[0] + "\n")
    url = databases.fresh()
    with session_factory_for(url) as factory:
        import_hpo(
            factory, HpoFiles(ontology=HPO_FILES.ontology, annotations=annotations, genes=genes)
        )
    with make_client(url) as client:
        yield client


def _match(client: TestClient, symptoms: list[str], **params: object) -> dict:
    response = client.get("/v1/conditions/match", params={"symptoms": ",".join(symptoms), **params})
    assert response.status_code == 200, response.text
    return response.json()


def _by_name(body: dict) -> dict[str, dict]:
    return {item["name"]: item for item in body["items"]}


def _check_sums(body: dict) -> None:
    for item in body["items"]:
        points = [m["points"] for m in item["matches"]] + [c["points"] for c in item["conflicts"]]
        assert sum(points) == pytest.approx(item["score"], abs=0.002)
        assert all(m["points"] > 0 for m in item["matches"])
        assert all(c["points"] < 0 for c in item["conflicts"])


def test_a_broader_given_term_credits_the_exact_annotation_more(scored: TestClient) -> None:
    body = _match(scored, [DISTAL])
    found = _by_name(body)
    exact, below = found["Synthetic exact distal"], found["Synthetic progressive distal"]
    assert exact["matches"][0]["relation"] == "same"
    assert below["matches"][0]["relation"] == "more specific"
    assert below["matches"][0]["hpo_id"] == PROGRESSIVE_DISTAL
    assert 0 < below["score"] < exact["score"]
    assert "Synthetic small" not in found  # nothing at or below the given term
    _check_sums(body)


def test_a_more_specific_given_term_earns_partial_credit(scored: TestClient) -> None:
    body = _match(scored, [PROGRESSIVE_DISTAL])
    found = _by_name(body)
    full, partial = found["Synthetic progressive distal"], found["Synthetic exact distal"]
    (match,) = partial["matches"]
    assert match["relation"] == "broader"
    assert match["hpo_id"] == DISTAL and match["through"] == DISTAL
    assert 0 < partial["score"] < full["score"]
    _check_sums(body)


def test_a_sibling_annotation_earns_partial_credit_through_the_shared_term(
    scored: TestClient,
) -> None:
    body = _match(scored, [UPPER_LIMB])  # annotated on no profile
    found = _by_name(body)
    sibling = found["Synthetic lower limb proximal"]
    (match,) = sibling["matches"]
    assert match["relation"] == "related"
    assert match["hpo_id"] == LOWER_LIMB_PROXIMAL and match["through"] == LIMB
    assert sibling["coverage"] == 0.0  # nothing at or below the given term itself
    _check_sums(body)


def test_a_condition_the_query_explains_ranks_above_a_larger_one(scored: TestClient) -> None:
    body = _match(scored, [FACIAL_PALSY, BULBAR_PALSY])
    names = [item["name"] for item in body["items"]]
    assert names.index("Synthetic small") < names.index("Synthetic large")
    found = _by_name(body)
    assert found["Synthetic small"]["coverage"] == found["Synthetic large"]["coverage"] == 1.0
    _check_sums(body)


def test_a_very_frequent_feature_counts_more_than_an_occasional_one(scored: TestClient) -> None:
    found = _by_name(_match(scored, [SPASTICITY]))
    frequent, occasional = found["Synthetic very frequent"], found["Synthetic occasional"]
    assert frequent["score"] > occasional["score"] > 0
    assert frequent["matches"][0]["frequency"]["code"] == VERY_FREQUENT


def test_an_excluded_term_the_condition_shows_takes_points_off(scored: TestClient) -> None:
    before = _by_name(_match(scored, [PROXIMAL]))
    assert before["Synthetic twin one"]["score"] == before["Synthetic twin two"]["score"]
    body = _match(scored, [PROXIMAL], excluded=OTHERS[11])
    after = _by_name(body)
    assert [term["hpo_id"] for term in body["excluded"]] == [OTHERS[11]]
    assert after["Synthetic twin one"]["score"] < before["Synthetic twin one"]["score"]
    (conflict,) = after["Synthetic twin one"]["conflicts"]
    assert conflict["relation"] == "given absent" and conflict["given"] == OTHERS[11]
    # The one that does not show it is now first.
    assert body["items"][0]["name"] == "Synthetic denies palsy"
    _check_sums(body)


def test_a_not_annotation_counts_against_a_given_term(scored: TestClient) -> None:
    body = _match(scored, [PROXIMAL, FACIAL_PALSY])
    found = _by_name(body)
    denies = found["Synthetic denies palsy"]
    (conflict,) = denies["conflicts"]
    assert conflict["relation"] == "annotated absent"
    assert conflict["hpo_id"] == FACIAL_PALSY and conflict["given"] == FACIAL_PALSY
    assert denies["score"] < found["Synthetic twin one"]["score"]
    _check_sums(body)


def test_ties_break_the_same_way_every_time(scored: TestClient) -> None:
    first = _match(scored, [PROXIMAL, OTHERS[11]])
    twins = [item for item in first["items"] if item["name"].startswith("Synthetic twin")]
    assert twins[0]["score"] == twins[1]["score"]
    assert [item["name"] for item in twins] == ["Synthetic twin one", "Synthetic twin two"]
    again = _match(scored, [OTHERS[11], PROXIMAL])
    assert [item["slug"] for item in again["items"]] == [item["slug"] for item in first["items"]]


def test_paging_keeps_the_order_and_the_excluded_terms(scored: TestClient) -> None:
    whole = _match(scored, [HYPOTONIA, OTHERS[0]], limit=50)
    pages = []
    body = _match(scored, [HYPOTONIA, OTHERS[0]], limit=2)
    while True:
        pages += [item["slug"] for item in body["items"]]
        if not body["links"]["next"]:
            break
        body = scored.get(body["links"]["next"]).json()
    assert pages == [item["slug"] for item in whole["items"]]
    assert body["total"] == whole["total"] == len(pages)
    linked = _match(scored, [HYPOTONIA], excluded=SEIZURE, limit=1)
    assert "excluded=HP%3A0001250" in linked["links"]["next"]


@pytest.mark.parametrize(
    ("excluded", "loc", "kind"),
    [
        ("HP:9999999", ["query", "excluded", 0], "unknown_term"),
        (f"{SEIZURE},{PROXIMAL}", ["query", "excluded", 1], "contradictory_term"),
    ],
)
def test_bad_excluded_terms_are_422_naming_them(
    scored: TestClient, excluded: str, loc: list, kind: str
) -> None:
    params = {"symptoms": PROXIMAL, "excluded": excluded}
    response = scored.get("/v1/conditions/match", params=params)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == loc and error["type"] == kind


def test_the_body_takes_excluded_terms_too(scored: TestClient) -> None:
    response = scored.post(
        "/v1/conditions/match", json={"symptoms": [PROXIMAL], "excluded": [OTHERS[11]]}
    )
    assert response.status_code == 200
    assert response.json()["items"][0]["name"] == "Synthetic denies palsy"
    both = scored.post(
        "/v1/conditions/match", json={"symptoms": [PROXIMAL], "excluded": [PROXIMAL]}
    )
    assert both.status_code == 422
    assert both.json()["errors"][0]["loc"] == ["body", "excluded", 0]
