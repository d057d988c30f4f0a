"""The gene look-ups: one gene by symbol (any case) or NCBIGene:id, the gene list with `q`,
and the conditions that list a gene, with their disease ids. Both engines, fixture cuts."""

from fastapi.testclient import TestClient


def test_a_gene_by_symbol_in_any_case_or_by_its_ncbi_id(corpus: TestClient) -> None:
    bodies = [corpus.get(f"/v1/genes/{key}") for key in ("CFTR", "cftr", "NCBIGene:1080")]
    assert [response.status_code for response in bodies] == [200, 200, 200]
    gene = bodies[0].json()
    assert all(response.json() == gene for response in bodies)
    assert (gene["symbol"], gene["ncbi_id"], gene["curie"]) == ("CFTR", 1080, "NCBIGene:1080")
    assert gene["url"] == "https://www.ncbi.nlm.nih.gov/gene/1080"
    assert gene["condition_count"] == 1
    assert gene["links"] == {
        "self": "/v1/genes/NCBIGene:1080",
        "conditions": "/v1/genes/NCBIGene:1080/conditions",
        "ncbi": "https://www.ncbi.nlm.nih.gov/gene/1080",
    }
    assert gene["source"]["title"] == "HPO gene annotations (genes_to_phenotype.txt)"
    assert gene["source"]["version"] == "2025-01-16"
    assert gene["attributions"] == [gene["source"]["attribution"]]


def test_an_unknown_gene_is_a_404_problem(corpus: TestClient) -> None:
    for key in ("NOSUCHGENE", "NCBIGene:999999999"):
        response = corpus.get(f"/v1/genes/{key}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("gene-not-found")
    assert corpus.get("/v1/genes/not a gene").status_code == 422


def test_the_gene_list_by_symbol_prefix_and_pages(corpus: TestClient) -> None:
    body = corpus.get("/v1/genes", params={"q": "slc"}).json()
    assert [gene["symbol"] for gene in body["items"]] == [
        "SLC11A1", "SLC26A9", "SLC6A14", "SLC9A3",
    ]  # fmt: skip
    assert body["total"] == 4
    page = corpus.get("/v1/genes", params={"limit": 10, "offset": 30}).json()
    assert len(page["items"]) == 3 and page["total"] == 33
    assert page["links"]["next"] is None
    assert page["links"]["prev"] == "/v1/genes?limit=10&offset=20"
    first = corpus.get("/v1/genes", params={"limit": 10}).json()
    assert first["links"]["next"] == "/v1/genes?limit=10&offset=10"


def test_the_conditions_listing_a_gene_with_their_disease_ids(corpus: TestClient) -> None:
    body = corpus.get("/v1/genes/ABCC2/conditions").json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["slug"] == "dubin-johnson-syndrome"
    assert item["diseases"] == ["ORPHA:234", "OMIM:237500"]
    assert item["links"]["self"] == "/v1/conditions/dubin-johnson-syndrome"
    assert item["status"] == "published"
    retired = corpus.get("/v1/genes/ABCC2/conditions", params={"status": "retired"}).json()
    assert retired["total"] == 0
    assert corpus.get("/v1/genes/NOSUCHGENE/conditions").status_code == 404


def test_search_finds_a_condition_by_its_gene(corpus: TestClient) -> None:
    for q in ("CFTR", "cftr", "FCGR2A"):
        body = corpus.get("/v1/search", params={"q": q, "limit": 3}).json()
        assert body["items"][0]["slug"] == "cystic-fibrosis"


def test_an_ncbi_id_beyond_any_gene_is_a_404(corpus: TestClient) -> None:
    for path in ("/v1/genes/NCBIGene:159163390138", "/v1/genes/NCBIGene:159163390138/conditions"):
        response = corpus.get(path)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
