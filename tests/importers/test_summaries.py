"""Onset, clinical course and modifiers are the prognosis section's, past medical history the
diagnosis'; the symptoms section keeps present and excluded features. Every record shows a
summary of a stated kind: editorial (editors'), definition (its HPO term's, verbatim) or
computed (composed from the facts the record carries, and checked against them here). Both
engines, over the fixture imports."""

import json
import re
from typing import Any

from fastapi.testclient import TestClient

ANNOTATIONS = {
    "title": "HPO annotations of rare diseases (phenotype.hpoa)",
    "version": "2025-01-16",
}
GRISCELLI = "/v1/conditions/griscelli-syndrome-type-2"
PREGNANCY_LOSS = "/v1/conditions/pregnancy-loss-recurrent-susceptibility-to-1"
# Course (C) and modifier (M) terms of the fixture's rows, with their categories.
COURSE_AND_MODIFIERS = {
    "HP:0003593": "Onset",  # Infantile onset
    "HP:0003819": "Mortality/Aging",  # Death in childhood
    "HP:0011463": "Onset",  # Childhood onset
    "HP:0003828": "Phenotypic variability",  # Variable expressivity (aspect M)
    "HP:0005268": "Mortality/Aging",  # Miscarriage
    "HP:0011462": "Onset",  # Young adult onset
    "HP:0032500": "Aggravated by",  # Exacerbated by tobacco use (aspect M)
}


def _all(client: TestClient) -> list[dict[str, Any]]:
    return client.get("/v1/conditions", params={"limit": 100}).json()["items"]


def test_onset_and_course_are_prognosis_items(corpus: TestClient) -> None:
    record = corpus.get(GRISCELLI).json()
    symptoms, prognosis = record["sections"]["symptoms"], record["sections"]["prognosis"]
    codes = [item["codes"][0]["code"] for item in prognosis["items"]]
    assert codes == ["HP:0003593", "HP:0003819"]
    onset, death = prognosis["items"]
    assert (onset["name"], onset["category"]) == ("Infantile onset", "Onset")
    assert onset["frequency"] == {
        "label": "11 of 11", "lower_percent": 100.0, "upper_percent": 100.0, "code": None,
    }  # fmt: skip
    assert (death["name"], death["category"], death["frequency"]) == (
        "Death in childhood", "Mortality/Aging", None,
    )  # fmt: skip
    for item in prognosis["items"]:
        assert item["provenance"] == "source" and item["source"] == ANNOTATIONS
        assert item["diseases"] == ["OMIM:607624"]
    assert [source["title"] for source in prognosis["sources"]] == [ANNOTATIONS["title"]]
    # Symptoms keep present and excluded features only, in items and in the groups.
    assert not set(codes) & {code["code"] for item in symptoms["items"] for code in item["codes"]}
    for group in symptoms["annotations"]:
        assert set(group) == {"disease", "source", "present", "excluded"}
        assert not set(codes) & {p["hpo_id"] for p in group["present"] + group["excluded"]}
    # The section at its own URL shows the same; the documented item is a live one.
    section = corpus.get(f"{GRISCELLI}/prognosis").json()
    assert section["items"] == prognosis["items"]
    assert section["attributions"] == record["attributions"]
    schemas = corpus.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["PrognosisItemOut"]["examples"] == [onset]
    assert set(schemas["AnnotationGroup"]["properties"]) == {
        "disease", "source", "present", "excluded",
    }  # fmt: skip


def test_every_course_and_modifier_row_has_its_category(corpus: TestClient) -> None:
    found: dict[str, str] = {}
    for item in _all(corpus):
        if "prognosis" in item["section_kinds"] and item["slug"] != "multifocal-motor-neuropathy":
            for entry in corpus.get(f"/v1/conditions/{item['slug']}/prognosis").json()["items"]:
                found[entry["codes"][0]["code"]] = entry["category"]
    assert found == COURSE_AND_MODIFIERS


def test_past_medical_history_is_a_diagnosis_item(corpus: TestClient) -> None:
    record = corpus.get(PREGNANCY_LOSS).json()
    # No present feature and no NOT row: no symptoms section.
    assert list(record["sections"]) == ["causes", "diagnosis", "prognosis"]
    [item] = record["sections"]["diagnosis"]["items"]
    assert item["name"] == "Recurrent spontaneous abortion"
    assert item["codes"] == [
        {"system": "hpo", "code": "HP:0200067", "display": "Recurrent spontaneous abortion"}
    ]
    assert (item["category"], item["kind"], item["provenance"]) == (
        "Pregnancy history", None, "source",
    )  # fmt: skip
    assert item["diseases"] == ["OMIM:614389"] and item["source"] == ANNOTATIONS
    # The list filter follows the sections the imports give.
    for kind, slugs in {"symptoms": 19, "prognosis": 9, "diagnosis": 2}.items():
        body = corpus.get("/v1/conditions", params={"has_section": kind, "limit": 100}).json()
        assert body["total"] == slugs, kind
    # JSON-LD: the onset is the expected prognosis; a history finding is no MedicalTest.
    jsonld = corpus.get(PREGNANCY_LOSS, params={"format": "jsonld"}).json()
    assert jsonld["expectedPrognosis"] == ["Young adult onset"]
    assert "typicalTest" not in jsonld
    assert jsonld["description"] == record["summary"]
    # A NOT row of past history stays an excluded feature of the symptoms' group.
    group = corpus.get("/v1/conditions/isolated-proximal-femoral-focal-deficiency").json()
    [excluded] = group["sections"]["symptoms"]["annotations"][0]["excluded"]
    assert excluded["hpo_id"] == "HP:0009800"
    assert "diagnosis" not in group["sections"]


def test_every_record_shows_a_summary_of_its_kind(corpus: TestClient) -> None:
    items = _all(corpus)
    kinds = {item["slug"]: item["summary_source"] for item in items}
    assert kinds.pop("multifocal-motor-neuropathy") == "editorial"
    # Common-condition records quote their term's definition; the rare ones are composed.
    assert set(kinds.values()) == {"computed", "definition"}
    for item in items:
        assert item["summary"], item["slug"]
        record = corpus.get(item["links"]["self"]).json()
        for name in ("summary", "summary_source", "summary_sources"):
            assert record[name] == item[name]
        if item["summary_source"] == "computed":
            assert item["summary"].startswith("Composed from the HPO annotations (2025-01-16)")
            # The annotations, and the gene annotations when it names genes.
            assert item["summary_sources"][0] == ANNOTATIONS
            assert ("Associated genes" in item["summary"]) == (len(item["summary_sources"]) == 2)
    # The documented summary is cystic fibrosis's.
    schemas = corpus.get("/openapi.json").json()["components"]["schemas"]
    [example] = schemas["ConditionRecord"]["properties"]["summary"]["examples"]
    assert corpus.get("/v1/conditions/cystic-fibrosis").json()["summary"] == example
    mmn = corpus.get("/v1/conditions/multifocal-motor-neuropathy").json()
    assert mmn["summary"].startswith("A rare disorder of the peripheral nerves")
    assert mmn["summary_sources"] == []
    assert corpus.get(PREGNANCY_LOSS).json()["summary"] == (
        "Composed from the HPO annotations (2025-01-16) by this service. Inheritance: Autosomal "
        "dominant inheritance. Onset: Young adult onset. Associated genes: F5."
    )


def test_search_hits_and_suggestions_carry_the_summary(corpus: TestClient) -> None:
    record = corpus.get("/v1/conditions/cystic-fibrosis").json()
    [hit] = corpus.get("/v1/search", params={"q": "cystic fibrosis"}).json()["items"][:1]
    suggestions = corpus.get("/v1/autocomplete", params={"q": "cystic"}).json()["items"]
    suggestion = next(item for item in suggestions if item["kind"] == "condition")
    for shown in (hit, suggestion):
        assert shown["slug"] == "cystic-fibrosis"
        for name in ("summary", "summary_source", "summary_sources"):
            assert shown[name] == record[name]
    # Search's section facet and filter follow the sections the imports give.
    found = corpus.get("/v1/search", params={"q": "pregnancy loss"}).json()
    assert found["facets"]["section"] == {"causes": 1, "diagnosis": 1, "prognosis": 1}
    assert corpus.get(
        "/v1/search", params={"q": "pregnancy loss", "section": "symptoms"}
    ).json()["total"] == 0  # fmt: skip
    symptom = corpus.get("/v1/autocomplete", params={"q": "fever"}).json()["items"]
    assert all(
        item["summary"] is None and item["summary_sources"] == []
        for item in symptom
        if item["kind"] == "symptom"
    )


LIST = r"X(?:, X)*(?: and (?:X|\d+ more))?"
COMPOSED = re.compile(
    r"Composed from the HPO annotations \((?P<version>[^)]+)\) by this service\."
    rf"(?: Inheritance: (?P<inheritance>{LIST})\.)?"
    rf"(?: Onset: {LIST}\.)?"
    rf"(?: Most frequent of the (?P<count>\d+) features listed: {LIST}\."
    rf"| Features listed \((?P<listed>\d+)\): {LIST}\.)?"
    rf"(?: Associated genes: {LIST}\.)?"
)


def _inheritance(summary: str) -> list[str]:
    found = re.search(r" Inheritance: (.*?)\.(?: Onset| Most| Features| Associated|$)", summary)
    return re.split(r", | and ", found.group(1)) if found else []


def _facts(record: dict[str, Any]) -> list[str]:
    """What a composed summary may name of this record: its imported features as "name
    (frequency label)" and bare, its onsets, its gene symbols."""
    sections = record["sections"]
    facts = []
    for item in sections.get("symptoms", {}).get("items", []):
        if item["provenance"] == "source":
            facts.append(item["name"])
            if item["frequency"]:
                facts.append(f"{item['name']} ({item['frequency']['label']})")
    for item in sections.get("prognosis", {}).get("items", []):
        if item.get("category") == "Onset":
            facts.append(item["name"])
    for item in sections.get("causes", {}).get("items", []):
        facts.extend(code["code"] for code in item.get("codes", []) if code["system"] == "ncbigene")
        facts.append(item["name"])
    return facts


def test_computed_summaries_state_only_what_the_record_carries(corpus: TestClient) -> None:
    """Every feature with its frequency label, onset and gene a computed summary names is in
    the record's own JSON, and the rest of the text is the template's: replacing each fact
    the record carries (longest first) leaves the skeleton alone. The counts are the
    record's."""
    checked = 0
    for item in _all(corpus):
        if item["summary_source"] != "computed":
            continue
        record = corpus.get(item["links"]["self"]).json()
        text = record["summary"]
        inheritance = _inheritance(text)
        for fact in sorted(set(_facts(record)) | set(inheritance), key=len, reverse=True):
            text = re.sub(
                rf"(?:(?<=: )|(?<=, )|(?<=nd )){re.escape(fact)}(?=,| and |\.)", "X", text
            )
        match = COMPOSED.fullmatch(text)
        assert match, (record["slug"], text)
        imported = [i for i in record["sections"].get("symptoms", {}).get("items", [])]
        count = match.group("count") or match.group("listed")
        if count:
            assert int(count) == len([i for i in imported if i["provenance"] == "source"])
        assert {match.group("version")} == {s["version"] for s in record["summary_sources"]}
        checked += 1
    assert checked == 18


def test_a_composed_inheritance_is_in_the_record(corpus: TestClient) -> None:
    for item in _all(corpus):
        if item["summary_source"] == "computed" and _inheritance(item["summary"]):
            record = corpus.get(item["links"]["self"]).json()
            shown = json.dumps(record.get("sections", {}).get("causes", {}))
            for name in _inheritance(item["summary"]):
                assert json.dumps(name) in shown, (item["slug"], name)


def test_a_term_linked_record_quotes_its_definition(corpus: TestClient) -> None:
    """A common-condition record (linked to its HPO term) shows the term's definition
    verbatim, citing the HPO, whose acknowledgement the record shows."""
    quoted = [item for item in _all(corpus) if item["summary_source"] == "definition"]
    assert "asthma" in {item["slug"] for item in quoted}
    for item in quoted:
        record = corpus.get(item["links"]["self"]).json()
        term = corpus.get(record["links"]["term"]).json()
        assert record["summary"] == term["definition"]
        assert record["summary_sources"] == [
            {"title": "Human Phenotype Ontology", "version": "2025-01-16"}
        ]
        assert "Human Phenotype Ontology" in {source["title"] for source in record["sources"]}
        assert any("Human Phenotype Ontology" in text for text in record["attributions"])
