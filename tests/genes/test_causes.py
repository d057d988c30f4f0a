"""Genes and inheritance as causes: the causes section of the records the HPO annotations give
genes (genes_to_phenotype.txt) or an inheritance mode (aspect I of phenotype.hpoa), through
HTTP on both engines, against the fixture cuts."""

from fastapi.testclient import TestClient

CF = "/v1/conditions/cystic-fibrosis"
GENES_SOURCE = "HPO gene annotations (genes_to_phenotype.txt)"
ANNOTATIONS_SOURCE = "HPO annotations of rare diseases (phenotype.hpoa)"


def test_cystic_fibrosis_lists_its_inheritance_and_genes_with_their_sources(
    corpus: TestClient,
) -> None:
    section = corpus.get(f"{CF}/causes").json()
    items = section["items"]
    mode = items[0]
    assert (mode["category"], mode["kind"], mode["gene"]) == ("inheritance", "genetic", None)
    assert mode["codes"] == [
        {"system": "hpo", "code": "HP:0000007", "display": "Autosomal recessive inheritance"}
    ]
    assert (mode["provenance"], mode["diseases"]) == ("source", ["OMIM:219700"])
    assert mode["source"] == {"title": ANNOTATIONS_SOURCE, "version": "2025-01-16"}
    genes = [item for item in items if item["category"] == "gene"]
    # 20 distinct genes for ORPHA:586 and OMIM:219700 in the fixture cut; those both list first.
    assert len(genes) == 20 and len(items) == 21
    assert [gene["name"] for gene in genes[:2]] == ["CFTR", "TGFB1"]
    cftr = genes[0]
    assert cftr["gene"] == {
        "symbol": "CFTR",
        "ncbi_id": 1080,
        "curie": "NCBIGene:1080",
        "url": "https://www.ncbi.nlm.nih.gov/gene/1080",
    }
    assert cftr["codes"] == [{"system": "ncbigene", "code": "1080", "display": "CFTR"}]
    assert (cftr["provenance"], cftr["diseases"]) == ("source", ["ORPHA:586", "OMIM:219700"])
    assert cftr["source"] == {"title": GENES_SOURCE, "version": "2025-01-16"}
    by_name = {gene["name"]: gene["diseases"] for gene in genes}
    assert by_name["FCGR2A"] == ["OMIM:219700"] and by_name["CLCA4"] == ["ORPHA:586"]
    assert [source["title"] for source in section["sources"]] == [
        ANNOTATIONS_SOURCE, GENES_SOURCE,
    ]  # fmt: skip
    assert section["attributions"] == [
        "This service is using the Human Phenotype Ontology (version 2025-01-16). "
        "Find out more at http://www.human-phenotype-ontology.org"
    ]
    # The composed summary says so, names what the record carries, and claims no cause.
    assert section["summary_provenance"] == "composed"
    summary = section["summary"]
    assert summary.startswith("Composed from the HPO annotations of this record.")
    assert "Autosomal recessive inheritance" in summary
    assert "20 genes are associated with it" in summary and "and 10 more" in summary
    assert "not a proven cause" in summary
    named = summary.split("(", 1)[1].split(" and 10 more")[0].split(", ")
    assert named == [gene["name"] for gene in genes[:10]]
    record = corpus.get(CF).json()
    assert record["sections"]["causes"]["items"] == items
    assert GENES_SOURCE in [source["title"] for source in record["sources"]]
    assert record["links"]["sections"]["causes"] == f"{CF}/causes"


def test_a_record_with_inheritance_only_and_one_with_neither(corpus: TestClient) -> None:
    sle = corpus.get("/v1/conditions/systemic-lupus-erythematosus-susceptibility-to-6/causes")
    items = sle.json()["items"]
    assert [(item["category"], item["provenance"]) for item in items] == [("inheritance", "source")]
    assert "genes" not in sle.json()["summary"]
    assert [s["title"] for s in sle.json()["sources"]] == [ANNOTATIONS_SOURCE]
    listed = corpus.get("/v1/conditions", params={"has_section": "causes", "limit": 100}).json()
    slugs = [item["slug"] for item in listed["items"]]
    assert "cystic-fibrosis" in slugs and "multifocal-motor-neuropathy" in slugs
    assert "miller-fisher-syndrome" not in slugs
    assert all("causes" in item["section_kinds"] for item in listed["items"])
    assert corpus.get("/v1/conditions/miller-fisher-syndrome/causes").status_code == 404


def test_editors_causes_come_first_and_stay_curated(corpus: TestClient) -> None:
    items = corpus.get("/v1/conditions/multifocal-motor-neuropathy/causes").json()["items"]
    assert items
    assert all(
        (item["provenance"], item["category"], item["source"], item["diseases"])
        == ("curated", None, None, [])
        for item in items
    )


def test_a_gene_without_a_symbol_is_never_named_by_a_dash(corpus: TestClient) -> None:
    body = corpus.get("/v1/genes", params={"limit": 100}).json()
    assert body["total"] == 33
    assert all(gene["symbol"] and gene["symbol"] != "-" for gene in body["items"])
