"""Gene endpoints: /v1/genes, one gene by symbol or NCBI Gene id, and the reverse look-up of
the conditions that list it. The HPO gene annotations associate genes with diseases; they do
not say a gene causes the disease, and these routes do not either."""

from typing import Annotated

from fastapi import Path, Query, Request, Response

from app.conditions.status import DEFAULT_STATUS, StatusQuery
from app.core.conditional import NOT_MODIFIED, json_representation
from app.core.errors import NotFoundError, problem_responses
from app.core.openapi import example_response, merge_responses
from app.core.pagination import PageDep, set_link_header
from app.core.routing import api_router
from app.genes import repository, service
from app.genes.schemas import GeneConditionPage, GeneRecord, GeneSummaryPage
from app.models import Gene
from app.reads.dependencies import CachePolicyDep, ReadSessionDep

router = api_router("genes")

GeneKey = Annotated[
    str,
    Path(
        min_length=1,
        max_length=60,
        pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]*|[Nn][Cc][Bb][Ii][Gg][Ee][Nn][Ee]:[0-9]{1,12})$",
        description="The gene symbol (any case), or its NCBI Gene id as NCBIGene:<id>.",
        examples=["CFTR"],
    ),
]
ASSOCIATION_NOTE = (
    "Genes come from the HPO gene annotations (genes_to_phenotype.txt), which associate a gene "
    "with a disease without saying how: an association, not a proven cause."
)

# CFTR as the full release 2025-01-16 serves it.
CFTR = {
    "symbol": "CFTR",
    "ncbi_id": 1080,
    "curie": "NCBIGene:1080",
    "url": "https://www.ncbi.nlm.nih.gov/gene/1080",
    "condition_count": 9,
    "links": {
        "self": "/v1/genes/NCBIGene:1080",
        "conditions": "/v1/genes/NCBIGene:1080/conditions",
        "ncbi": "https://www.ncbi.nlm.nih.gov/gene/1080",
    },
}


class GeneNotFound(NotFoundError):
    problem = "gene-not-found"
    title = "Gene not found"


def _load(session: ReadSessionDep, key: str) -> Gene:
    gene = repository.get_gene(session, key)
    if gene is None:
        raise GeneNotFound(f"No gene has the symbol or NCBI Gene id {key!r}.", key=key)
    return gene


@router.get(
    "/genes",
    response_model=GeneSummaryPage,
    summary="List genes",
    description="Genes associated with at least one disease, by symbol (those the file gives "
    "no symbol last); `q` keeps those whose symbol starts with it, in any case. Pages with "
    "`limit` and `offset`. " + ASSOCIATION_NOTE,
    responses=merge_responses(
        problem_responses(422, 503),
        example_response(
            "list_genes",
            {
                "items": [CFTR],
                "total": 1,
                "limit": 20,
                "links": {"self": "/v1/genes?q=cftr", "next": None, "prev": None},
            },
        ),
    ),
)
def list_genes(
    request: Request,
    session: ReadSessionDep,
    policy: CachePolicyDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=60,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="The start of the symbol, any case.",
            examples=["CFT"],
        ),
    ] = None,
) -> Response:
    result = service.gene_page(session, request, q, page)
    response = json_representation(request, result, policy)
    set_link_header(response, result.links)
    return response


@router.get(
    "/genes/{key}",
    response_model=GeneRecord,
    summary="Get a gene",
    description="A gene by symbol (any case) or NCBIGene:<id>: its NCBI Gene id and page, how "
    "many conditions list it, and its source. " + ASSOCIATION_NOTE,
    responses=merge_responses(
        {**problem_responses(404, 422, 503), **NOT_MODIFIED},
        example_response(
            "get_gene",
            {
                **CFTR,
                "source": {
                    "title": "HPO gene annotations (genes_to_phenotype.txt)",
                    "publisher": "Human Phenotype Ontology Consortium, Monarch Initiative",
                    "url": "https://hpo.jax.org/data/annotations",
                    "licence": "HPO licence (https://hpo.jax.org/license): free to use; the HPO "
                    "Consortium is acknowledged, the version is shown, and the content is not "
                    "altered.",
                    "version": "2025-01-16",
                    "retrieved": None,
                    "attribution": "This service is using the Human Phenotype Ontology "
                    "(version 2025-01-16). Find out more at "
                    "http://www.human-phenotype-ontology.org",
                },
                "attributions": [
                    "This service is using the Human Phenotype Ontology (version 2025-01-16). "
                    "Find out more at http://www.human-phenotype-ontology.org"
                ],
            },
        ),
    ),
)
def get_gene(
    request: Request, session: ReadSessionDep, policy: CachePolicyDep, key: GeneKey
) -> Response:
    gene = service.gene_record(session, _load(session, key))
    return json_representation(request, gene, policy)


@router.get(
    "/genes/{key}/conditions",
    response_model=GeneConditionPage,
    summary="Conditions that list a gene",
    description="The conditions whose disease ids the HPO gene annotations associate with the "
    "gene, in slug order, each with those disease ids. Pages with `limit` and `offset`. "
    + ASSOCIATION_NOTE,
    responses=merge_responses(
        problem_responses(404, 422, 503),
        example_response(
            "list_gene_conditions",
            {
                "items": [
                    {
                        "slug": "cystic-fibrosis",
                        "name": "Cystic fibrosis",
                        "display_name": "Cystic fibrosis",
                        "status": "published",
                        "diseases": ["ORPHA:586", "OMIM:219700"],
                        "links": {"self": "/v1/conditions/cystic-fibrosis"},
                    }
                ],
                "total": 9,
                "limit": 1,
                "links": {
                    "self": "/v1/genes/CFTR/conditions?limit=1&offset=3",
                    "next": "/v1/genes/CFTR/conditions?limit=1&offset=4",
                    "prev": "/v1/genes/CFTR/conditions?limit=1&offset=2",
                },
            },
        ),
    ),
)
def list_gene_conditions(
    request: Request,
    session: ReadSessionDep,
    policy: CachePolicyDep,
    page: PageDep,
    key: GeneKey,
    status: StatusQuery = DEFAULT_STATUS,
) -> Response:
    gene = _load(session, key)
    result = service.conditions_page(session, request, gene, page, status.value)
    response = json_representation(request, result, policy)
    set_link_header(response, result.links)
    return response
