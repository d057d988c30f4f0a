"""What the imports keep on a record, loaded and turned into section items: the imported
phenotype annotations (present features become symptom items; inheritance modes cause items;
onset, clinical course and modifiers prognosis items; past medical history diagnosis items) and
the genes the HPO gene annotations associate with its disease ids (cause items). Each section
kind that shows imported items has one builder in ITEM_BUILDERS; editors' items are rendered in
service.py."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from app.conditions import repository
from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.items import CauseKind, CodeRef, FactItem, Frequency
from app.conditions.names import display_name
from app.conditions.repository import AnnotationRow, GeneRow
from app.conditions.schemas import (
    AnnotationGroup,
    CauseItemOut,
    CodeSource,
    DiagnosisItemOut,
    DiseaseRef,
    GeneRef,
    Phenotype,
    PhenotypeFrequency,
    PhenotypeLinks,
    PhenotypeOnset,
    PrognosisItemOut,
    SourceOut,
    SymptomItemOut,
    TypeConditionRef,
    TypeItemOut,
)
from app.core.schemas import SelfLink
from app.core.urls import condition_path, symptom_path
from app.models import Condition, Source
from app.models.kinds import SectionKind, disease_system_rank


def informative(frequency: PhenotypeFrequency | None) -> tuple[int, float, int]:
    """Sorts the frequencies of one feature most informative first: the narrowest range of
    percentages, then the most patients studied; a bare label, then none, last."""
    if frequency is None:
        return (2, 0.0, 0)
    low, high = frequency.lower_percent, frequency.upper_percent
    if low is None or high is None:
        return (1, 0.0, 0)
    return (0, high - low, -(frequency.m or 0))


Listing = tuple["DiseaseAnnotations", Phenotype]


def _by_term(groups: list["DiseaseAnnotations"], aspect: str) -> list[list[Listing]]:
    """The rows of one aspect list of the groups, by HPO term in the groups' order: each term
    once, with every disease id that states it."""
    by_term: dict[str, list[Listing]] = defaultdict(list)
    for group in groups:
        for phenotype in getattr(group, aspect):
            by_term[phenotype.hpo_id].append((group, phenotype))
    return list(by_term.values())


def _listed_fields(listings: list[Listing]) -> dict[str, Any]:
    """What every imported item of a term says: its name and code verbatim, the most
    informative frequency, the disease ids and the source."""
    first = listings[0][1]
    frequency = min((phenotype.frequency for _, phenotype in listings), key=informative)
    source = listings[0][0].source
    return {
        "name": first.name,
        "display_name": display_name(first.name),
        "frequency": Frequency.model_validate(
            frequency.model_dump(include={"label", "lower_percent", "upper_percent", "code"})
        )
        if frequency
        else None,
        "codes": [CodeRef(system="hpo", code=first.hpo_id, display=first.name)],
        "provenance": "source",
        "diseases": list(dict.fromkeys(group.disease.curie for group, _ in listings)),
        "source": CodeSource(title=source.title, version=source.version),
    }


def _imported_symptom(listings: list[Listing]) -> SymptomItemOut:
    """One present feature of the annotations, from every disease id that lists it."""
    onset = next((phenotype.onset for _, phenotype in listings if phenotype.onset), None)
    return SymptomItemOut(
        **_listed_fields(listings), onset=(onset.name or onset.code) if onset else None
    )


def imported_symptoms(groups: list["DiseaseAnnotations"]) -> list[SymptomItemOut]:
    """The present features of the annotation groups as symptom items: one per HPO term, in
    the groups' order."""
    return [_imported_symptom(listings) for listings in _by_term(groups, "present")]


def composed_symptoms_summary(items: list[SymptomItemOut]) -> str:
    """What the record carries about its imported features, and nothing more."""
    diseases = list(dict.fromkeys(disease for item in items for disease in item.diseases))
    titles = list(dict.fromkeys(item.source.title for item in items if item.source))
    named = " and ".join(f'"{title}"' for title in titles)
    sources = "The source {} lists" if len(titles) == 1 else "The sources {} list"
    features = "feature" if len(items) == 1 else "features"
    return f"{sources.format(named)} {len(items)} phenotypic {features} for {', '.join(diseases)}."


@dataclass(frozen=True)
class GeneListing:
    """A gene of the record, with the disease ids that list it and the source stating it."""

    gene: GeneRef
    diseases: list[str]
    source: SourceOut


@dataclass(frozen=True)
class DiseaseAnnotations:
    """The annotation rows of one disease id, by aspect. The symptoms section serves the
    present and excluded ones as its `annotations[]` group (`served`); the other aspects
    become items of the sections they belong to: inheritance (I) the causes', clinical
    course (C) and modifiers (M) the prognosis', past medical history (H) the diagnosis'."""

    disease: DiseaseRef
    source: SourceOut
    present: list[Phenotype] = field(default_factory=list)
    # NOT rows, whatever their aspect: a few state an absent past history (aspect H).
    excluded: list[Phenotype] = field(default_factory=list)
    inheritance: list[Phenotype] = field(default_factory=list)
    course: list[Phenotype] = field(default_factory=list)
    modifiers: list[Phenotype] = field(default_factory=list)
    history: list[Phenotype] = field(default_factory=list)

    def served(self) -> AnnotationGroup:
        return AnnotationGroup(
            disease=self.disease, source=self.source, present=self.present, excluded=self.excluded
        )


# Where a row that is not a NOT row goes, by its aspect.
_ASPECT_LISTS = {
    "P": "present", "I": "inheritance", "C": "course", "M": "modifiers", "H": "history",
}  # fmt: skip


@dataclass(frozen=True)
class ImportedContent:
    """What the imports keep on one record, loaded for rendering: its phenotype annotations
    grouped by the disease id that states them, the category of each course, modifier and
    history term (by HPO id), its genes, and the sources they cite."""

    groups: list[DiseaseAnnotations] = field(default_factory=list)
    sources: list[SourceOut] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)

    @property
    def served_groups(self) -> list[AnnotationGroup]:
        """The groups as the symptoms section shows them: present and excluded features."""
        return [group.served() for group in self.groups if group.present or group.excluded]

    # The HPO term the record is built from or enriched by (app/importers/hpo_conditions.py).
    term_code: str | None = None
    types: list[TypeItemOut] = field(default_factory=list)
    genes: list[GeneListing] = field(default_factory=list)


NCBI_GENE_URL = "https://www.ncbi.nlm.nih.gov/gene/{}"


def gene_ref(symbol: str | None, ncbi_id: int) -> GeneRef:
    return GeneRef(
        symbol=symbol,
        ncbi_id=ncbi_id,
        curie=f"NCBIGene:{ncbi_id}",
        url=NCBI_GENE_URL.format(ncbi_id),
    )


def genes_of(rows: list[GeneRow], sources: dict[int, Source]) -> list[GeneListing]:
    """One listing per gene, with every disease id listing it: genes listed by more of the
    record's disease ids first, then in the order the import keeps."""
    by_gene: dict[int, list[GeneRow]] = defaultdict(list)
    for row in rows:
        by_gene[row.ncbi_id].append(row)
    listings = [
        GeneListing(
            gene=gene_ref(members[0].symbol, ncbi_id),
            diseases=list(dict.fromkeys(row.disease_code for row in members)),
            source=SourceOut.model_validate(sources[members[0].source_id]),
        )
        for ncbi_id, members in by_gene.items()
    ]
    return sorted(listings, key=lambda listing: -len(listing.diseases))


def _phenotype(row: AnnotationRow) -> Phenotype:
    annotation = row.annotation
    return Phenotype(
        hpo_id=row.hpo_id,
        name=row.name,
        frequency=PhenotypeFrequency(**annotation.frequency) if annotation.frequency else None,
        onset=PhenotypeOnset(**annotation.onset) if annotation.onset else None,
        evidence=annotation.evidence,
        references=annotation.references,
        sex=annotation.sex,
        modifiers=annotation.modifiers,
        links=PhenotypeLinks(term=symptom_path(row.hpo_id)),
    )


def annotations_of(rows: list[AnnotationRow], sources: dict[int, Source]) -> ImportedContent:
    by_disease: dict[str, list[AnnotationRow]] = defaultdict(list)
    for row in rows:
        by_disease[row.annotation.disease_code].append(row)
    groups = []
    # Orphanet's group first, then OMIM's, then DECIPHER's, as the record names its codes.
    ordered = sorted(by_disease.items(), key=lambda item: disease_system_rank(item[0]))
    for disease, members in ordered:
        prefix, _, number = disease.partition(":")
        system = prefix.lower()
        info = CODE_SYSTEMS.get(system)  # type: ignore[call-overload]
        lists: dict[str, list[Phenotype]] = defaultdict(list)
        for row in members:
            annotation = row.annotation
            bucket = "excluded" if annotation.excluded else _ASPECT_LISTS.get(annotation.aspect)
            if bucket is not None:
                lists[bucket].append(_phenotype(row))
        groups.append(
            DiseaseAnnotations(
                disease=DiseaseRef(
                    system=system,
                    code=number,
                    curie=disease,
                    url=info.url(number) if info else None,
                ),
                source=SourceOut.model_validate(sources[members[0].annotation.source_id]),
                **lists,
            )
        )
    unique = {group.source.title: group.source for group in groups}
    return ImportedContent(groups=groups, sources=list(unique.values()))


def _type_item(row: repository.TypeRow) -> TypeItemOut:
    return TypeItemOut(
        name=row.name,
        display_name=display_name(row.name),
        codes=[CodeRef(system=row.system, code=row.code, display=row.name)],
        provenance="source" if row.system == "hpo" else "computed",
        source=CodeSource(title=row.source.title, version=row.source.version),
        condition=TypeConditionRef(
            slug=row.slug, name=row.record_name, links=SelfLink(self=condition_path(row.slug))
        )
        if row.slug is not None and row.record_name is not None
        else None,
    )


def load_imported(session: Session, condition: Condition) -> ImportedContent:
    # The genes only of records the imports gave causes (kept on the row: no query otherwise).
    kinds = condition.imported_kinds or []
    gene_rows = (
        repository.get_genes(session, condition.id) if SectionKind.CAUSES.value in kinds else []
    )
    rows = repository.get_annotations(session, condition.id) if condition.annotation_count else []
    source_ids = {row.annotation.source_id for row in rows} | {row.source_id for row in gene_rows}
    sources = repository.sources_by_id(session, source_ids)
    content = annotations_of(rows, sources)
    categorised = {
        phenotype.hpo_id
        for group in content.groups
        for phenotype in (*group.course, *group.modifiers, *group.history)
    }
    if categorised:
        content = replace(content, categories=repository.term_categories(session, categorised))
    genes = genes_of(gene_rows, sources)
    shown = [*content.sources, *(listing.source for listing in genes)]
    term = repository.term_of(session, condition.id)
    if term is not None and term[1] is not None:
        # A term-linked record shows the HPO's content (lay names, cross-references).
        shown.append(SourceOut.model_validate(term[1]))
    types: list[TypeItemOut] = []
    if SectionKind.TYPES.value in kinds:
        type_rows = repository.get_types(session, condition.id)
        types = [_type_item(row) for row in type_rows]
        shown += [SourceOut.model_validate(row.source) for row in type_rows]
    unique: dict[tuple[str, str | None], SourceOut] = {}
    for source in shown:
        unique.setdefault((source.title, source.version), source)
    return replace(
        content,
        sources=_with_summary_sources(session, condition, list(unique.values())),
        term_code=term[0] if term else None,
        types=types,
        genes=genes,
    )


def _with_summary_sources(
    session: Session, condition: Condition, sources: list[SourceOut]
) -> list[SourceOut]:
    """The record's imported sources and those its derived summary quotes or draws on (the
    HPO itself for a definition), so their acknowledgements are shown with it."""
    if condition.summary is not None or not condition.derived_summary_sources:
        return sources
    known = {(source.title, source.version) for source in sources}
    wanted = {
        (source["title"], source.get("version")) for source in condition.derived_summary_sources
    }
    found = repository.sources_by_title(session, {title for title, _ in wanted - known})
    extra = [SourceOut.model_validate(row) for row in found if (row.title, row.version) in wanted]
    return [*sources, *extra]


def _symptom_items(content: ImportedContent) -> list[FactItem]:
    return list(imported_symptoms(content.groups))


def _categorised(
    content: ImportedContent, aspects: tuple[str, ...], item_type: type[FactItem]
) -> list[FactItem]:
    """The terms of these aspects as items of `item_type`, each with its category."""
    return [
        item_type.model_validate(
            {**_listed_fields(listings), "category": content.categories.get(listings[0][1].hpo_id)}
        )
        for aspect in aspects
        for listings in _by_term(content.groups, aspect)
    ]


def _prognosis_items(content: ImportedContent) -> list[FactItem]:
    return _categorised(content, ("course", "modifiers"), PrognosisItemOut)


def _diagnosis_items(content: ImportedContent) -> list[FactItem]:
    return _categorised(content, ("history",), DiagnosisItemOut)


def _type_items(content: ImportedContent) -> list[FactItem]:
    return list(content.types)


def _gene_item(listing: GeneListing) -> CauseItemOut:
    gene = listing.gene
    name = gene.symbol or gene.curie
    return CauseItemOut(
        name=name,
        display_name=name,
        kind=CauseKind.GENETIC,
        category="gene",
        gene=gene,
        codes=[CodeRef(system="ncbigene", code=str(gene.ncbi_id), display=gene.symbol)],
        provenance="source",
        diseases=listing.diseases,
        source=CodeSource(title=listing.source.title, version=listing.source.version),
    )


def _cause_items(content: ImportedContent) -> list[FactItem]:
    """The inheritance modes first (one per HPO term, NOT rows aside), then the associated
    genes."""
    modes = [
        CauseItemOut(**_listed_fields(listings), kind=CauseKind.GENETIC, category="inheritance")
        for listings in _by_term(content.groups, "inheritance")
    ]
    return [*modes, *(_gene_item(listing) for listing in content.genes)]


GENES_NAMED = 10


def composed_causes_summary(items: list[FactItem]) -> str:
    """What the record's imported causes are, by count and name, and nothing more: composed
    by this service, and saying that the genes are associations, not proven causes."""
    causes = [item for item in items if isinstance(item, CauseItemOut)]
    modes = [item.name for item in causes if item.category == "inheritance"]
    genes = [item.name for item in causes if item.category == "gene"]
    parts = ["Composed from the HPO annotations of this record."]
    if modes:
        parts.append(f"Inheritance as annotated: {', '.join(modes)}.")
    if genes:
        noun = "gene is" if len(genes) == 1 else "genes are"
        named = ", ".join(genes[:GENES_NAMED])
        more = f" and {len(genes) - GENES_NAMED} more" if len(genes) > GENES_NAMED else ""
        parts.append(
            f"{len(genes)} {noun} associated with it in the HPO gene annotations "
            f"({named}{more}); the source states an association, not a proven cause."
        )
    return " ".join(parts)


# The imported items of each kind, after editors' items of that kind.
ITEM_BUILDERS: dict[SectionKind, Callable[[ImportedContent], list[FactItem]]] = {
    SectionKind.SYMPTOMS: _symptom_items,
    SectionKind.PROGNOSIS: _prognosis_items,
    SectionKind.DIAGNOSIS: _diagnosis_items,
    SectionKind.TYPES: _type_items,
    SectionKind.CAUSES: _cause_items,
}

# The summary composed for a section of these kinds that editors gave none.
SUMMARY_COMPOSERS: dict[SectionKind, Callable[[list[FactItem]], str]] = {
    SectionKind.CAUSES: composed_causes_summary,
}


def imported_items(kind: SectionKind, content: ImportedContent) -> list[FactItem]:
    builder = ITEM_BUILDERS.get(kind)
    return builder(content) if builder else []
