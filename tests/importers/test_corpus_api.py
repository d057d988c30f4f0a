"""The imported corpus through HTTP: merged records, annotation groups, NOT rows, frequencies,
term and code look-ups, provenance. Runs on both engines over the fixture import."""

from fastapi.testclient import TestClient

HPO_ACK = (
    "This service is using the Human Phenotype Ontology (version 2025-01-16). "
    "Find out more at http://www.human-phenotype-ontology.org"
)


def _group(section: dict, curie: str) -> dict:
    return next(g for g in section["annotations"] if g["disease"]["curie"] == curie)


def test_mmn_is_one_record_with_both_sources_apart(corpus: TestClient) -> None:
    listed = corpus.get("/v1/conditions", params={"letter": "m"}).json()
    assert [item["slug"] for item in listed["items"]].count("multifocal-motor-neuropathy") == 1
    body = corpus.get("/v1/conditions/multifocal-motor-neuropathy/symptoms").json()
    # The article's five items first, untouched, then the annotations' present features.
    curated = [item for item in body["items"] if item["provenance"] == "curated"]
    assert [item["name"] for item in body["items"][:5]] == [item["name"] for item in curated]
    assert curated[0]["name"] == "Muscle weakness"
    assert len(curated) == 5
    # The HPO annotations of ORPHA:641, in their own group, labels verbatim.
    [group] = body["annotations"]
    assert group["disease"]["curie"] == "ORPHA:641"
    assert group["source"]["version"] == "2025-01-16"
    assert len(group["present"]) == 12
    first = group["present"][0]
    assert first["hpo_id"] == "HP:0009063"
    assert first["name"] == "Progressive distal muscle weakness"
    assert first["frequency"] == {
        "label": "Very frequent", "lower_percent": 80.0, "upper_percent": 99.0,
        "code": "HP:0040281", "n": None, "m": None,
    }  # fmt: skip
    assert first["evidence"] == "TAS"
    assert first["links"]["term"] == "/v1/symptoms/HP:0009063"
    assert [s["title"] for s in body["sources"]] == [
        "Multifocal Motor Neuropathy (MMN)",
        "HPO annotations of rare diseases (phenotype.hpoa)",
    ]
    assert body["attributions"] == [HPO_ACK]
    record = corpus.get("/v1/conditions/multifocal-motor-neuropathy").json()
    assert HPO_ACK in record["attributions"]
    assert all(code["source"] is None for code in record["codes"])  # editors' codes
    assert [(c["curie"], c["provenance"]) for c in record["codes"]] == [
        ("ORPHA:641", "curated"), ("ICD10CM:G61.82", "curated"), ("MONDO:0018979", "curated"),
    ]  # fmt: skip


def test_omim_and_orpha_cystic_fibrosis_are_one_record(corpus: TestClient) -> None:
    found = corpus.get("/v1/conditions", params={"letter": "c", "limit": 100}).json()
    names = [item["name"] for item in found["items"]]
    assert names.count("Cystic fibrosis") == 1
    record = corpus.get("/v1/conditions/cystic-fibrosis").json()
    assert record["summary"].startswith("Composed from the HPO annotations (2025-01-16)")
    assert record["summary_source"] == "computed"
    # Onset and course are the prognosis section's, not symptoms.
    assert list(record["sections"]) == ["causes", "symptoms", "prognosis"]
    codes = {(c["curie"], c["relation"], c["provenance"]) for c in record["codes"]}
    assert codes == {
        ("ORPHA:586", "exact", "source"),
        ("OMIM:219700", "name-match", "computed"),
        ("ICD10CM:E84", "name-match", "computed"),
        # "Cystic fibrosis, unspecified": the match key drops ", unspecified".
        ("ICD10CM:E84.9", "name-match", "computed"),
    }
    sources = {c["curie"]: c["source"] for c in record["codes"]}
    assert sources["OMIM:219700"] == {
        "title": "HPO annotations of rare diseases (phenotype.hpoa)", "version": "2025-01-16",
    }  # fmt: skip
    assert sources["ICD10CM:E84"]["version"] == "2026-04-01"
    symptoms = record["sections"]["symptoms"]
    assert [g["disease"]["curie"] for g in symptoms["annotations"]] == ["ORPHA:586", "OMIM:219700"]
    omim = _group(symptoms, "OMIM:219700")
    assert (len(omim["present"]), len(omim["excluded"])) == (31, 0)
    assert set(omim) == {"disease", "source", "present", "excluded"}
    prognosis = record["sections"]["prognosis"]["items"]
    assert [(item["name"], item["category"]) for item in prognosis] == [
        ("Infantile onset", "Onset"), ("Childhood onset", "Onset"),
    ]  # fmt: skip
    assert len(_group(symptoms, "ORPHA:586")["present"]) == 35
    assert record["attributions"] == [HPO_ACK]
    assert "not medical advice" in record["disclaimer"]


def test_not_rows_are_kept_apart_as_excluded(corpus: TestClient) -> None:
    section = corpus.get("/v1/conditions/hereditary-coproporphyria/symptoms").json()
    group = _group(section, "ORPHA:79273")
    assert [p["name"] for p in group["excluded"]] == ["Anemia", "Fever"]
    assert len(group["present"]) == 31
    assert "HP:0001903" not in {p["hpo_id"] for p in group["present"]}


def test_frequency_forms(corpus: TestClient) -> None:
    hairy = corpus.get("/v1/conditions/hairy-elbows/symptoms").json()
    group = _group(hairy, "OMIM:139600")
    by_id = {p["hpo_id"]: p for p in group["present"]}
    assert by_id["HP:0004322"]["frequency"]["label"] == "75%"
    assert by_id["HP:0004322"]["frequency"]["lower_percent"] == 75.0
    assert by_id["HP:0004780"]["frequency"] is None
    # Its inheritance row (Autosomal dominant inheritance, 20 of 20) is no symptom: the
    # causes section serves it.
    assert set(group) == {"disease", "source", "present", "excluded"}
    thrombo = corpus.get("/v1/conditions/thrombocytopenia-9/symptoms").json()
    zero = next(p for p in _group(thrombo, "OMIM:620478")["present"] if p["hpo_id"] == "HP:0030402")
    assert zero["frequency"] == {
        "label": "0 of 2", "lower_percent": 0.0, "upper_percent": 0.0,
        "code": None, "n": 0, "m": 2,
    }  # fmt: skip


def test_symptom_term(corpus: TestClient) -> None:
    term = corpus.get("/v1/symptoms/HP:0001945").json()
    assert term["name"] == "Fever"
    assert term["slug"] == "fever"
    assert term["code"] == "HP:0001945"
    assert term["definition"]
    assert corpus.get("/v1/symptoms/fever").json()["code"] == "HP:0001945"
    assert corpus.get("/v1/symptoms/hp:0001945").json()["slug"] == "fever"
    assert term["parents"] and all(p["code"].startswith("HP:") for p in term["parents"])
    assert term["source"]["title"] == "Human Phenotype Ontology"
    assert term["attributions"] == [HPO_ACK]
    listed = corpus.get("/v1/symptoms", params={"q": "fever"}).json()
    assert "HP:0001945" in [item["code"] for item in listed["items"]]


def test_conditions_of_a_symptom_skip_not_rows(corpus: TestClient) -> None:
    body = corpus.get("/v1/symptoms/HP:0001945/conditions").json()
    slugs = [item["slug"] for item in body["items"]]
    assert slugs == [
        "dubin-johnson-syndrome",
        "griscelli-syndrome-type-2",
        "miller-fisher-syndrome",
    ]
    assert body["total"] == 3
    griscelli = body["items"][1]
    assert {m["disease"] for m in griscelli["matches"]} == {"OMIM:607624", "ORPHA:79477"}
    anemia = corpus.get("/v1/symptoms/HP:0001903/conditions").json()
    assert anemia["items"] == [] and anemia["total"] == 0  # its only row is a NOT row


def test_include_descendants_counts_more_specific_terms(corpus: TestClient) -> None:
    direct = corpus.get("/v1/symptoms/HP:0001324/conditions").json()
    wider = corpus.get(
        "/v1/symptoms/HP:0001324/conditions", params={"include_descendants": "true", "limit": 100}
    ).json()
    assert wider["total"] > direct["total"]
    assert set(i["slug"] for i in direct["items"]) <= set(i["slug"] for i in wider["items"])
    mmn = next(i for i in wider["items"] if i["slug"] == "multifocal-motor-neuropathy")
    codes = {m["code"] for m in mmn["matches"]}
    assert "HP:0009063" in codes  # Progressive distal muscle weakness, under Muscle weakness
    # The article's "Muscle weakness" item is matched too, through the adopted term.
    assert any(m["via"] == "section" and m["section"] == "symptoms" for m in mmn["matches"])


def test_drugs_from_the_seed(corpus: TestClient) -> None:
    drugs = corpus.get("/v1/drugs").json()
    assert [d["slug"] for d in drugs["items"]] == [
        "corticosteroids", "immunosuppressants", "intravenous-immunoglobulin-ivig",
    ]  # fmt: skip
    body = corpus.get("/v1/drugs/intravenous-immunoglobulin-ivig/conditions").json()
    assert [i["slug"] for i in body["items"]] == ["multifocal-motor-neuropathy"]
    # Terms outside the HPO hierarchy count themselves when descendants are asked for too.
    wider = corpus.get(
        "/v1/drugs/intravenous-immunoglobulin-ivig/conditions",
        params={"include_descendants": "true"},
    ).json()
    assert wider["total"] == body["total"] == 1
    assert body["items"][0]["matches"][0]["section"] == "drugs"


def test_icd10cm_lookup(corpus: TestClient) -> None:
    for written in ("G61.82", "g6182", "G6182"):
        body = corpus.get(f"/v1/codes/icd10cm/{written}").json()
        assert body["code"] == "G61.82"
    assert body["display"] == "Multifocal motor neuropathy"
    assert body["inclusion_terms"] == ["MMN"]
    assert [p["code"] for p in body["parents"]] == ["6", "G60-G65", "G61", "G61.8"]
    assert body["parents"][0]["level"] == "chapter"
    assert body["conditions"] == [
        {
            "slug": "multifocal-motor-neuropathy",
            "name": "Multifocal motor neuropathy",
            "status": "published",
            "relation": "exact",
            "provenance": "curated",
            "links": {"self": "/v1/conditions/multifocal-motor-neuropathy"},
        }
    ]
    assert body["source"]["version"] == "2026-04-01"
    g61 = corpus.get("/v1/codes/icd10cm/G61").json()
    assert "G61.8" in [c["code"] for c in g61["children"]]
    e84 = corpus.get("/v1/codes/icd10cm/E84").json()
    assert [(c["slug"], c["relation"], c["provenance"]) for c in e84["conditions"]] == [
        ("cystic-fibrosis", "name-match", "computed")
    ]


def test_disease_and_hpo_code_lookups(corpus: TestClient) -> None:
    orpha = corpus.get("/v1/codes/orpha/ORPHA:586").json()
    assert orpha["display"] == "Cystic fibrosis"
    assert orpha["conditions"][0]["slug"] == "cystic-fibrosis"
    omim = corpus.get("/v1/codes/omim/219700").json()
    assert omim["conditions"][0]["relation"] == "name-match"
    hpo = corpus.get("/v1/codes/hpo/HP:0001945").json()
    assert hpo["display"] == "Fever"
    assert hpo["links"]["term"] == "/v1/symptoms/HP:0001945"
    assert hpo["parents"]
    mondo = corpus.get("/v1/codes/mondo/0018979").json()
    assert mondo["conditions"][0]["provenance"] == "curated"


def test_lookup_errors(corpus: TestClient) -> None:
    missing = corpus.get("/v1/codes/omim/999999")
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:problem:code-not-found"
    assert corpus.get("/v1/codes/nosuch/1").status_code == 422
    term = corpus.get("/v1/symptoms/HP:9999999")
    assert term.status_code == 404
    assert term.json()["type"] == "urn:problem:term-not-found"
    assert corpus.get("/v1/symptoms/Bad_Key").status_code == 422
    cursor = corpus.get("/v1/symptoms", params={"cursor": "abc"})
    assert cursor.status_code == 422
    for q in ("\x00", "a\x1fb"):  # PostgreSQL text cannot hold NUL: refused up front
        response = corpus.get("/v1/symptoms", params={"q": q})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "q"]
    for q in ("%", "_", "\\", "ö"):  # LIKE wildcards are matched literally
        assert corpus.get("/v1/symptoms", params={"q": q}).status_code == 200


def test_has_section_counts_imported_symptoms(corpus: TestClient) -> None:
    body = corpus.get("/v1/conditions", params={"has_section": "symptoms", "limit": 100}).json()
    # Not OMIM:614389, which has neither present features nor NOT rows.
    assert body["total"] == 19
    drugs = corpus.get("/v1/conditions", params={"has_section": "drugs"}).json()
    assert drugs["total"] == 1
