"""Response schemas of the genes domain."""

from pydantic import Field

from app.conditions.schemas import SourceOut, display_name_field
from app.core.schemas import Page, Schema, SelfLink


class GeneLinks(Schema):
    self: str = Field(examples=["/v1/genes/NCBIGene:1080"])
    conditions: str = Field(examples=["/v1/genes/NCBIGene:1080/conditions"])
    ncbi: str = Field(
        description="The gene's page at NCBI Gene.",
        examples=["https://www.ncbi.nlm.nih.gov/gene/1080"],
    )


class GeneSummary(Schema):
    """A gene that the HPO gene annotations associate with at least one disease."""

    symbol: str | None = Field(
        description="The symbol genes_to_phenotype.txt gives; null for the few ids it gives none.",
        examples=["CFTR"],
    )
    ncbi_id: int = Field(description="NCBI Gene id.", examples=[1080])
    curie: str = Field(examples=["NCBIGene:1080"])
    url: str = Field(examples=["https://www.ncbi.nlm.nih.gov/gene/1080"])
    condition_count: int = Field(
        description="How many conditions (published ones) list the gene.", examples=[1]
    )
    links: GeneLinks


class GeneRecord(GeneSummary):
    """A gene with its source. The HPO gene annotations state that a gene is associated with a
    disease, without the type of association: not that it causes it."""

    source: SourceOut | None
    attributions: list[str] = Field(
        description="Acknowledgements that the source requires to be shown with this content."
    )


class GeneCondition(Schema):
    """A condition listing the gene, with the disease ids of the record that list it."""

    slug: str = Field(examples=["cystic-fibrosis"])
    name: str = Field(examples=["Cystic fibrosis"])
    display_name: str = display_name_field()
    status: str = Field(description="published, draft or retired.")
    diseases: list[str] = Field(
        description="The record's disease ids whose gene annotations list the gene.",
        examples=[["ORPHA:586", "OMIM:219700"]],
    )
    links: SelfLink


class GeneSummaryPage(Page[GeneSummary]):
    """A page of GeneSummary items."""


class GeneConditionPage(Page[GeneCondition]):
    """A page of GeneCondition items."""
