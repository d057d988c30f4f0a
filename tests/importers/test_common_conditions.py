"""Common conditions from HPO terms (app/importers/hpo_conditions.py), on the fixture cut: the
records built, the record a term enriches, lay names, codes, types, the links between record
and term, the code look-ups, search, and a re-import that writes nothing. Both engines."""

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, update

from app.models import SourceImport
from tests.helpers import run_imports, snapshot

HPO_SOURCE = {"title": "Human Phenotype Ontology", "version": "2025-01-16"}
ICD_SOURCE = {"title": "ICD-10-CM Tabular List of Diseases and Injuries", "version": "2026-04-01"}


def _codes(record: dict[str, object]) -> set[tuple[str, str, str]]:
    return {(c["curie"], c["relation"], c["provenance"]) for c in record["codes"]}  # type: ignore[attr-defined,index]


def test_a_qualifying_term_becomes_a_record(corpus: TestClient) -> None:
    record = corpus.get("/v1/conditions/asthma").json()
    assert record["name"] == "Asthma"
    assert record["status"] == "published"
    assert record["synonyms"] == ["Bronchial asthma"]  # the term's EXACT synonym
    # HP:0002099's only layperson synonym is "Asthma", its name again: no lay name.
    assert record["consumer_names"] == []
    assert record["disclaimer"].startswith("This record is general information")
    assert _codes(record) == {
        ("ICD10CM:J45", "name-match", "computed"),
        ("ICD10CM:J45.90", "name-match", "computed"),  # "Unspecified asthma"
        ("ICD10CM:J45.909", "name-match", "computed"),  # "Unspecified asthma, uncomplicated"
        ("SCTID:195967001", "related", "source"),
        ("SCTID:991000119106", "related", "source"),
        ("UMLS:C0004096", "related", "source"),
        ("UMLS:C3714497", "related", "source"),
    }
    umls = next(c for c in record["codes"] if c["system"] == "umls")
    assert umls["source"] == HPO_SOURCE
    assert umls["display"] is None  # the HPO gives no name of the code
    # The HPO id is no code row: the record links to its term instead.
    assert not any(c["system"] == "hpo" for c in record["codes"])
    assert record["links"]["term"] == "/v1/symptoms/HP:0002099"
    assert record["links"]["feature_of"] == "/v1/symptoms/HP:0002099/conditions"
    # It shows the HPO's content, so it names the HPO and shows its acknowledgement.
    assert "Human Phenotype Ontology" in [source["title"] for source in record["sources"]]
    assert any("Human Phenotype Ontology" in text for text in record["attributions"])


def test_lay_names_and_synonyms(corpus: TestClient) -> None:
    rhinitis = corpus.get("/v1/conditions/allergic-rhinitis").json()
    assert rhinitis["consumer_names"] == ["Hay fever", "Hayfever", "Nasal allergies"]
    assert rhinitis["synonyms"] == ["Hay fever", "Hayfever", "Nasal allergies"]
    assert ("ICD10CM:J30.1", "name-match", "computed") in _codes(rhinitis)  # "Allergic rhinitis
    # due to pollen" has the inclusion term "Hay fever"... met by the term's EXACT synonym
    infarction = corpus.get("/v1/conditions/myocardial-infarction").json()
    assert infarction["consumer_names"] == ["Heart attack"]
    assert infarction["synonyms"] == ["Heart attack", "MI"]
    # "Myocardial infarction (acute) NOS" is an inclusion term of I21.9.
    assert ("ICD10CM:I21.9", "name-match", "computed") in _codes(infarction)


def test_a_term_of_a_rare_diseases_name_enriches_its_record(corpus: TestClient) -> None:
    listing = corpus.get("/v1/conditions", params={"limit": 100}).json()
    named = [item["slug"] for item in listing["items"] if "hashimoto" in item["slug"]]
    assert named == ["hashimoto-thyroiditis"]  # one record, not two
    record = corpus.get("/v1/conditions/hashimoto-thyroiditis").json()
    assert list(record["sections"]) == ["causes", "symptoms"]  # still the disease's record
    assert _codes(record) == {
        ("OMIM:140300", "exact", "source"),
        ("ICD10CM:E06.3", "name-match", "computed"),  # through "Autoimmune thyroiditis"
        ("SCTID:21983002", "related", "source"),
        ("UMLS:C0677607", "related", "source"),
    }
    assert record["links"]["term"] == "/v1/symptoms/HP:0000872"
    term = corpus.get("/v1/symptoms/HP:0000872").json()
    assert term["condition"] == {
        "slug": "hashimoto-thyroiditis",
        "name": "Hashimoto thyroiditis",
        "links": {"self": "/v1/conditions/hashimoto-thyroiditis"},
    }


def test_the_term_links_to_its_record(corpus: TestClient) -> None:
    term = corpus.get("/v1/symptoms/HP:0002099").json()
    assert term["name"] == "Asthma"  # still a symptom term
    assert term["condition"]["links"]["self"] == "/v1/conditions/asthma"
    assert corpus.get("/v1/symptoms/HP:0002099/conditions").status_code == 200
    plain = corpus.get("/v1/symptoms/HP:0003690").json()  # Limb muscle weakness
    assert plain["condition"] is None


def test_types_from_the_hpo_and_icd10cm(corpus: TestClient) -> None:
    section = corpus.get("/v1/conditions/thyroiditis/types").json()
    items = [
        (item["name"], item["provenance"], item["codes"][0]["code"], item["source"])
        for item in section["items"]
    ]
    assert items == [
        ("Hashimoto thyroiditis", "source", "HP:0000872", HPO_SOURCE),
        ("Acute thyroiditis", "computed", "E06.0", ICD_SOURCE),
        ("Subacute thyroiditis", "computed", "E06.1", ICD_SOURCE),
        ("Chronic thyroiditis with transient thyrotoxicosis", "computed", "E06.2", ICD_SOURCE),
        # E06.3 Autoimmune thyroiditis is carried by the Hashimoto record, listed above.
        ("Drug-induced thyroiditis", "computed", "E06.4", ICD_SOURCE),
        ("Other chronic thyroiditis", "computed", "E06.5", ICD_SOURCE),
    ]
    assert section["items"][0]["condition"]["links"]["self"] == (
        "/v1/conditions/hashimoto-thyroiditis"
    )
    assert section["items"][1]["condition"] is None
    asthma = corpus.get("/v1/conditions/asthma").json()["sections"]["types"]["items"]
    # The children of J45, the broadest code the record carries; not J45.90's or J45.909.
    assert [item["codes"][0]["code"] for item in asthma] == [
        "J45.2", "J45.3", "J45.4", "J45.5", "J45.9",
    ]  # fmt: skip
    listed = corpus.get("/v1/conditions", params={"has_section": "types", "limit": 100}).json()
    # MMN's types are its editors'.
    assert {item["slug"] for item in listed["items"]} == {
        "asthma", "thyroiditis", "multifocal-motor-neuropathy",
    }  # fmt: skip


def test_code_look_ups(corpus: TestClient) -> None:
    for path, slug in [
        ("/v1/codes/snomedct/195967001", "asthma"),
        ("/v1/codes/umls/C0027051", "myocardial-infarction"),
    ]:
        body = corpus.get(path).json()
        assert [c["slug"] for c in body["conditions"]] == [slug]
        assert body["conditions"][0]["relation"] == "related"
    missing = corpus.get("/v1/codes/umls/C9999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert corpus.get("/v1/codes/icd10cm/J45.2").status_code == 200


def test_lay_names_rank_their_condition_first(corpus: TestClient) -> None:
    for query, slug in [
        ("asthma", "asthma"),
        ("hay fever", "allergic-rhinitis"),
        ("heart attack", "myocardial-infarction"),
    ]:
        hits = corpus.get("/v1/search", params={"q": query}).json()["items"]
        assert hits and hits[0]["slug"] == slug, (query, hits[:3])
        offered = corpus.get("/v1/autocomplete", params={"q": query}).json()["items"]
        assert offered and offered[0]["slug"] == slug, (query, offered[:3])


def test_a_reimport_of_unchanged_data_writes_nothing(corpus_url: str) -> None:
    before = snapshot(corpus_url, exclude=("source_imports",))
    engine = create_engine(corpus_url)
    try:
        with engine.begin() as conn:  # forget the checksums: both imports run again
            conn.execute(update(SourceImport).values(checksum=""))
    finally:
        engine.dispose()
    hpo, icd = run_imports(corpus_url)
    assert not hpo.skipped and not icd.skipped
    for report in (hpo, icd):
        assert report.counts["records_changed"] == 0
        assert report.counts["revisions_written"] == 0
        assert report.counts["common_condition_links_written"] == 0
        assert report.counts["records_with_new_lay_names"] == 0
    assert snapshot(corpus_url, exclude=("source_imports",)) == before
