"""Response schemas of the conditions domain. Section and item types are generated per kind from
the vocabulary in kinds.py, so a new kind needs one line there and nothing here."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, create_model

from app.conditions.items import (
    ITEM_TYPES,
    CauseItem,
    CodeRef,
    FactItem,
    Frequency,
    ItemSchema,
    SymptomItem,
    TestItem,
)
from app.core.openapi import schema_examples
from app.core.schemas import Page, Schema, SelfLink, text_rules
from app.models.kinds import SECTION_KINDS, SectionKind


class CodeSource(Schema):
    title: str
    version: str | None


class CodeOut(Schema):
    system: str = Field(examples=["orpha"])
    code: str = Field(examples=["641"])
    curie: str = Field(description="Compact identifier, e.g. ORPHA:641.", examples=["ORPHA:641"])
    display: str | None
    relation: str = Field(
        description="exact, narrower, broader or related as the source states it; name-match "
        "when linked only because the names are equal after normalisation. SNOMED CT "
        "(`snomedct`) and UMLS (`umls`) codes of a common condition are the cross-references "
        "of its HPO term: the HPO gives them without saying how close they are, so they are "
        "`related`, provenance `source`, source the HPO, and carry no display of their own."
    )
    provenance: str = Field(
        description="curated (written by an editor), source (stated by an imported source) or "
        "computed (derived by this service; never a curated mapping)."
    )
    url: str | None = Field(description="Where the code resolves, when the system has pages.")
    source: CodeSource | None = Field(
        default=None, description="The imported source that states or yields the code."
    )


class SourceOut(Schema):
    title: str
    publisher: str | None
    url: str | None
    licence: str = Field(description="Licence or rights statement, with the attribution owed.")
    version: str | None
    retrieved: date | None = Field(description="When the source was read.")
    attribution: str | None = Field(
        default=None, description="Acknowledgement to show with this source's content."
    )


class PhenotypeFrequency(Schema):
    label: str = Field(examples=["Very frequent"])
    lower_percent: float | None = None
    upper_percent: float | None = None
    code: str | None = Field(default=None, description="HPO frequency term, e.g. HP:0040281.")
    n: int | None = Field(default=None, description="Patients with the feature (of m studied).")
    m: int | None = None


class PhenotypeOnset(Schema):
    code: str
    name: str | None


class PhenotypeLinks(Schema):
    term: str


class Phenotype(Schema):
    """One HPO annotation row, its labels verbatim from the HPO release."""

    hpo_id: str = Field(examples=["HP:0003690"])
    name: str = Field(examples=["Limb muscle weakness"])
    frequency: PhenotypeFrequency | None
    onset: PhenotypeOnset | None
    evidence: str | None = Field(description="IEA, PCS or TAS, as the HPO annotations say.")
    references: list[str]
    sex: str | None
    modifiers: list[str]
    links: PhenotypeLinks


class DiseaseRef(Schema):
    system: str
    code: str
    curie: str
    url: str | None


class AnnotationGroup(Schema):
    """The HPO annotations of one disease id, as the source gives them. A record merged from
    several ids keeps one group per id."""

    disease: DiseaseRef
    source: SourceOut
    present: list[Phenotype] = Field(description="Phenotypic features the disease has.")
    excluded: list[Phenotype] = Field(
        description="Features explicitly absent (NOT rows, of any aspect: a few are past "
        "medical history)."
    )


SummarySource = Literal["editorial", "definition", "computed"]
# Cystic fibrosis's (ORPHA:586, OMIM:219700), as composed from the 2025-01-16 annotations.
SUMMARY_EXAMPLE = (
    "Composed from the HPO annotations (2025-01-16) by this service. Inheritance: Autosomal "
    "recessive inheritance. Onset: Infantile onset and Childhood onset. Most frequent of the 53 "
    "features listed: Elevated sweat chloride (77 of 77), Bronchiectasis (106 of 111) and "
    "Malabsorption (Very frequent). Associated genes: CFTR, TGFB1, CEACAM3, CEACAM6, CLCA4 and 15 "
    "more."
)


def summary_field() -> Any:
    return Field(
        description="One short paragraph for list and search screens, never null once the "
        "imports have run: the editors' summary when there is one, else the HPO definition of "
        "the record's term quoted verbatim, else a paragraph composed by this service from "
        "facts the record carries (see `summary_source`). Null only for an editors' record "
        "without a summary before the next import.",
        examples=[SUMMARY_EXAMPLE],
    )


def summary_source_field() -> Any:
    return Field(
        description="What `summary` is: editorial (written by editors, in the seed files or "
        "through the write API; always wins), definition (the HPO definition of the record's "
        "HPO term, verbatim: show the HPO acknowledgement in `attributions` with it) or "
        "computed (composed by this service from the record's own imported facts: "
        "inheritance, onset, the most frequent features with their frequency, associated "
        "genes; it says so); null when there is no summary.",
        examples=["computed"],
    )


def summary_sources_field() -> Any:
    return Field(
        description="The sources `summary` quotes or draws on (title and version); empty for "
        "an editorial summary, whose sources are the record's `sources`.",
        examples=[[{"title": "HPO annotations of rare diseases (phenotype.hpoa)",
                    "version": "2025-01-16"}]],
    )  # fmt: skip


def display_name_field() -> Any:
    return Field(
        description="The name to show: `name` itself, unless the source writes it all in capitals "
        "(some OMIM titles); then in sentence case, acronyms and gene symbols kept. `name` stays "
        "verbatim, as the source's licence asks.",
        examples=["Anosmia"],
    )


def _item_out(item_type: type[FactItem]) -> type[FactItem]:
    """An item as responses show it: its written fields and a display form of its name."""
    return create_model(
        f"{item_type.__name__}Out",
        __base__=item_type,
        __doc__=item_type.__doc__,
        display_name=(str, display_name_field()),
    )


# A feature of the imported annotations as served (cystic fibrosis, release 2025-01-16): the
# documented examples of sections come from the seed record, which has editors' items only.
IMPORTED_SYMPTOM_EXAMPLE = {
    "name": "Elevated sweat chloride",
    "display_name": "Elevated sweat chloride",
    "description": None,
    "frequency": {
        "label": "77 of 77", "lower_percent": 100.0, "upper_percent": 100.0, "code": None,
    },
    "onset": None,
    "codes": [{"system": "hpo", "code": "HP:0012236", "display": "Elevated sweat chloride"}],
    "provenance": "source",
    "diseases": ["ORPHA:586", "OMIM:219700"],
    "source": {
        "title": "HPO annotations of rare diseases (phenotype.hpoa)", "version": "2025-01-16",
    },
}  # fmt: skip


def _symptom_schema(schema: dict[str, Any]) -> None:
    text_rules(schema)
    schema["examples"] = schema_examples("SymptomItemOut", [IMPORTED_SYMPTOM_EXAMPLE])


class SymptomItemOut(SymptomItem):
    """A symptom: written by editors, or one phenotypic feature of the imported HPO
    annotations (its name and HPO id verbatim, its frequency and onset as annotated)."""

    model_config = ConfigDict(json_schema_extra=_symptom_schema)

    display_name: str = display_name_field()
    provenance: Literal["curated", "source"] = Field(
        description="curated (an editor's item) or source (a present feature of the imported "
        "annotations; the same term from several disease ids is listed once).",
        examples=["source"],
    )
    diseases: list[str] = Field(
        default_factory=list,
        description="Disease ids whose annotations list the feature, in the record's order; "
        "empty for editors' items.",
        examples=[["ORPHA:641"]],
    )
    source: CodeSource | None = Field(
        default=None,
        description="The imported source that lists the feature; null for editors' items.",
    )


class GeneRef(Schema):
    """A gene by its NCBI Gene id, as the HPO gene annotations give it."""

    symbol: str | None = Field(
        description="The gene symbol the file gives; null for the few ids it gives none.",
        examples=["CFTR"],
    )
    ncbi_id: int = Field(examples=[1080])
    curie: str = Field(examples=["NCBIGene:1080"])
    url: str = Field(examples=["https://www.ncbi.nlm.nih.gov/gene/1080"])


# A cause as served for cystic fibrosis (release 2025-01-16): a gene and an inheritance mode.
IMPORTED_CAUSE_EXAMPLES = [
    {
        "name": "CFTR",
        "display_name": "CFTR",
        "description": None,
        "kind": "genetic",
        "category": "gene",
        "gene": {
            "symbol": "CFTR", "ncbi_id": 1080, "curie": "NCBIGene:1080",
            "url": "https://www.ncbi.nlm.nih.gov/gene/1080",
        },
        "codes": [{"system": "ncbigene", "code": "1080", "display": "CFTR"}],
        "frequency": None,
        "provenance": "source",
        "diseases": ["ORPHA:586", "OMIM:219700"],
        "source": {
            "title": "HPO gene annotations (genes_to_phenotype.txt)", "version": "2025-01-16",
        },
    },
    {
        "name": "Autosomal recessive inheritance",
        "display_name": "Autosomal recessive inheritance",
        "description": None,
        "kind": "genetic",
        "category": "inheritance",
        "gene": None,
        "codes": [
            {"system": "hpo", "code": "HP:0000007", "display": "Autosomal recessive inheritance"}
        ],
        "frequency": None,
        "provenance": "source",
        "diseases": ["OMIM:219700"],
        "source": {
            "title": "HPO annotations of rare diseases (phenotype.hpoa)", "version": "2025-01-16",
        },
    },
]  # fmt: skip


def _cause_schema(schema: dict[str, Any]) -> None:
    text_rules(schema)
    schema["examples"] = schema_examples("CauseItemOut", IMPORTED_CAUSE_EXAMPLES)


class CauseItemOut(CauseItem):
    """A cause: written by editors, or imported from the HPO: a gene that the HPO gene
    annotations associate with one of the record's disease ids (an association the source
    states, without its type: not a proven cause), or a mode of inheritance annotated for it
    (aspect I of phenotype.hpoa, its HPO name and id verbatim)."""

    model_config = ConfigDict(json_schema_extra=_cause_schema)

    display_name: str = display_name_field()
    category: Literal["gene", "inheritance"] | None = Field(
        default=None,
        description="gene (associated in the HPO gene annotations) or inheritance (a mode of "
        "inheritance annotated for the disease); null for editors' items.",
        examples=["gene"],
    )
    gene: GeneRef | None = Field(default=None, description="The gene of a gene item.")
    codes: list[CodeRef] = Field(
        default_factory=list,
        description="The gene's NCBI Gene id (system ncbigene), or the inheritance mode's HPO id.",
    )
    frequency: Frequency | None = Field(
        default=None, description="How often the mode is annotated, where the source says."
    )
    provenance: Literal["curated", "source"] = Field(
        default="curated",
        description="curated (an editor's item) or source (stated by an imported source).",
        examples=["source"],
    )
    diseases: list[str] = Field(
        default_factory=list,
        description="Disease ids that list the gene or mode, in the record's order; empty for "
        "editors' items.",
        examples=[["ORPHA:586", "OMIM:219700"]],
    )
    source: CodeSource | None = Field(
        default=None, description="The imported source that states it; null for editors' items."
    )


ITEM_OUT_TYPES: dict[str, type[FactItem]] = {
    name: SymptomItemOut
    if item_type is SymptomItem
    else CauseItemOut
    if item_type is CauseItem
    else _item_out(item_type)
    for name, item_type in ITEM_TYPES.items()
}


class ImportedItemFields(ItemSchema):
    """The fields an item of an imported aspect shares (as SymptomItemOut has them)."""

    display_name: str = display_name_field()
    category: str | None = Field(
        default=None,
        description="The HPO term's closest ancestor directly under Clinical course "
        "(HP:0031797), Clinical modifier (HP:0012823) or Past medical history (HP:0032443), "
        "verbatim; null for editors' items.",
        examples=["Onset"],
    )
    frequency: Frequency | None = Field(
        default=None,
        description="How often the source says it applies: the most informative of the "
        "disease ids' frequencies; null when none is given.",
    )
    provenance: Literal["curated", "source"] = Field(
        default="curated",
        description="curated (an editor's item) or source (a term the imported HPO annotations "
        "state; the same term from several disease ids is listed once).",
        examples=["source"],
    )
    diseases: list[str] = Field(
        default_factory=list,
        description="Disease ids whose annotations state it, in the record's order; empty for "
        "editors' items.",
        examples=[["OMIM:311070"]],
    )
    source: CodeSource | None = Field(
        default=None, description="The imported source; null for editors' items."
    )


# An onset of the imported annotations as served (Griscelli syndrome, type 2, OMIM:607624;
# release 2025-01-16).
IMPORTED_PROGNOSIS_EXAMPLE = {
    "name": "Infantile onset",
    "description": None,
    "display_name": "Infantile onset",
    "category": "Onset",
    "frequency": {
        "label": "11 of 11", "lower_percent": 100.0, "upper_percent": 100.0, "code": None,
    },
    "provenance": "source",
    "diseases": ["OMIM:607624"],
    "source": {
        "title": "HPO annotations of rare diseases (phenotype.hpoa)", "version": "2025-01-16",
    },
    "codes": [{"system": "hpo", "code": "HP:0003593", "display": "Infantile onset"}],
}  # fmt: skip


def _prognosis_schema(schema: dict[str, Any]) -> None:
    text_rules(schema)
    schema["examples"] = schema_examples("PrognosisItemOut", [IMPORTED_PROGNOSIS_EXAMPLE])


class PrognosisItemOut(ImportedItemFields, FactItem):
    """The course and outlook: written by editors, or one onset, clinical course (pace of
    progression, temporal pattern, mortality) or clinical modifier (e.g. variable
    expressivity) of the imported HPO annotations (aspects C and M), its name and HPO id
    verbatim, with its category and frequency as annotated. Until issue 14 they sat in the
    symptoms section's `annotations[].clinical_course` and `annotations[].other`."""

    model_config = ConfigDict(json_schema_extra=_prognosis_schema)

    codes: list[CodeRef] = Field(default_factory=list, description="The HPO term.")


class DiagnosisItemOut(ImportedItemFields, TestItem):
    """What the work-up looks at: editors' examinations and tests, or one past medical history
    finding of the imported HPO annotations (aspect H, e.g. a pregnancy history: part of the
    history a clinician takes, not a stated cause), its name and HPO id verbatim, with its
    category and frequency as annotated (`kind` null). Until issue 14 they sat in the symptoms
    section's `annotations[].other`."""


class TypeConditionRef(Schema):
    """The record of a subtype."""

    slug: str = Field(examples=["allergic-asthma"])
    name: str = Field(examples=["Allergic asthma"])
    links: SelfLink


class TypeItemOut(FactItem):
    """A form or subtype of the condition: written by editors, or derived by the imports from
    the HPO (a child term of the record's term that is a record itself; provenance `source`)
    or from ICD-10-CM (a child code of the record's broadest ICD-10-CM code that the record
    does not carry itself; provenance `computed`), with the subtype's own record when there
    is one."""

    display_name: str = display_name_field()
    codes: list[CodeRef] = Field(
        default_factory=list,
        description="The subtype's code: its HPO id or its ICD-10-CM code.",
        examples=[[{"system": "icd10cm", "code": "J45.2", "display": "Mild intermittent asthma"}]],
    )
    provenance: Literal["curated", "source", "computed"] = Field(
        description="curated (an editor's item), source (an HPO child term of the record's "
        "term) or computed (an ICD-10-CM child of the record's code).",
        examples=["computed"],
    )
    source: CodeSource | None = Field(
        default=None, description="The imported source the subtype comes from."
    )
    condition: TypeConditionRef | None = Field(
        default=None, description="The subtype's own record, when there is one."
    )


# Kinds whose response items have a type of their own (input stays the kind's item type).
KIND_ITEM_OUT_TYPES: dict[SectionKind, type[FactItem]] = {
    SectionKind.TYPES: TypeItemOut,
    SectionKind.PROGNOSIS: PrognosisItemOut,
    SectionKind.DIAGNOSIS: DiagnosisItemOut,
}


def item_out_type(kind: SectionKind) -> type[FactItem]:
    """The type of a kind's items in responses."""
    info = next(info for info in SECTION_KINDS if info.kind == kind)
    return KIND_ITEM_OUT_TYPES.get(kind) or ITEM_OUT_TYPES[info.item_type]


class ConditionRef(Schema):
    slug: str
    name: str
    display_name: str = display_name_field()
    links: SelfLink


class SectionLinks(Schema):
    self: str
    condition: str


class SectionOut(Schema):
    """A section as it appears inside the whole record."""

    kind: SectionKind
    title: str
    summary: str | None
    summary_provenance: Literal["curated", "composed"] | None = Field(
        description="curated: written by an editor; composed: written by this service from "
        "facts the record carries (e.g. how many features the imported annotations list); "
        "null when there is no summary.",
        examples=["curated"],
    )
    items: list[FactItem]
    sources: list[SourceOut]
    links: SelfLink


class SectionResponse(SectionOut):
    """A section served at its own URL, with the provenance a screen showing it needs."""

    condition: ConditionRef
    last_reviewed: date | None
    updated_at: datetime
    disclaimer: str
    attributions: list[str] = Field(
        description="Acknowledgements that the sources require to be shown with this content."
    )
    links: SectionLinks  # type: ignore[assignment]


def _camel(kind: SectionKind) -> str:
    return "".join(part.capitalize() for part in kind.value.split("-"))


def _typed(base: type[SectionOut], kind: SectionKind, item_type: type[FactItem]) -> type[Any]:
    suffix = "Section" if base is SectionOut else "SectionResponse"
    extra: dict[str, Any] = {}
    if kind == SectionKind.SYMPTOMS:
        extra["annotations"] = (
            list[AnnotationGroup],
            Field(
                default_factory=list,
                description="Imported phenotype annotations, grouped by disease id as the "
                "source gives them; their present features are also `items`.",
            ),
        )
    return create_model(
        f"{_camel(kind)}{suffix}",
        __base__=base,
        kind=(Literal[kind.value], kind.value),  # type: ignore[arg-type]
        items=(list[item_type], ...),  # type: ignore[valid-type]
        **extra,
    )


SECTION_MODELS: dict[SectionKind, type[SectionOut]] = {
    info.kind: _typed(SectionOut, info.kind, item_out_type(info.kind)) for info in SECTION_KINDS
}
SECTION_RESPONSE_MODELS: dict[SectionKind, type[SectionResponse]] = {
    info.kind: _typed(SectionResponse, info.kind, item_out_type(info.kind))
    for info in SECTION_KINDS
}


# A record lists the sections it has; absent kinds are left out of the JSON rather than null.
_SECTION_FIELDS: dict[str, Any] = {
    info.kind.value: (
        SECTION_MODELS[info.kind] | None,
        Field(default=None, exclude_if=lambda value: value is None),
    )
    for info in SECTION_KINDS
}
ConditionSections: type[Schema] = create_model(
    "ConditionSections", __base__=Schema, **_SECTION_FIELDS
)


class ConditionLinks(Schema):
    self: str
    sections: dict[str, str] = Field(description="URL of each section the record has, by kind.")
    term: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The HPO term the record is built from or enriched by (a common condition "
        "that the HPO also lists as a phenotypic feature); absent otherwise.",
        examples=["/v1/symptoms/HP:0002099"],
    )
    feature_of: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The rare conditions whose HPO annotations list the record's term as a "
        "feature; absent when the record has no term.",
        examples=["/v1/symptoms/HP:0002099/conditions"],
    )


class ConditionRecord(Schema):
    """The whole record of one condition."""

    slug: str
    name: str
    display_name: str = display_name_field()
    synonyms: list[str]
    consumer_names: list[str] = Field(
        default_factory=list,
        description="Lay names of the condition (the HPO's layperson synonyms of its term, of "
        "exact or related scope), kept by the imports.",
        examples=[["Heart attack"]],
    )
    summary: str | None = summary_field()
    summary_source: SummarySource | None = summary_source_field()
    summary_sources: list[CodeSource] = summary_sources_field()
    status: str
    codes: list[CodeOut]
    sections: ConditionSections
    sources: list[SourceOut]
    last_reviewed: date | None
    review_due: date | None
    created_at: datetime
    updated_at: datetime
    revision: int = Field(description="Increases by one with every change of the record.")
    disclaimer: str
    attributions: list[str] = Field(
        description="Acknowledgements that the sources require to be shown with this content."
    )
    links: ConditionLinks


class ConditionSummary(Schema):
    """One entry of the condition list."""

    slug: str
    name: str
    display_name: str = display_name_field()
    synonyms: list[str]
    summary: str | None = summary_field()
    summary_source: SummarySource | None = summary_source_field()
    summary_sources: list[CodeSource] = summary_sources_field()
    status: str
    section_kinds: list[SectionKind] = Field(description="Kinds of the sections the record has.")
    last_reviewed: date | None
    updated_at: datetime
    links: SelfLink


class SectionKindOut(Schema):
    kind: SectionKind
    title: str
    description: str
    item_type: str = Field(description="Schema of this kind's items, e.g. symptom or drug.")
    schema_org: str | None = Field(description="The schema.org HealthAspect it corresponds to.")


class SlugNotFound(Schema):
    slug: str = Field(examples=["old-name"])
    renamed_to: str | None = Field(
        description="The record's slug now, when it was renamed from this one; else null.",
        examples=["new-name"],
    )


class ConditionSummaryPage(Page[ConditionSummary]):
    """A page of ConditionSummary items."""

    not_found: list[SlugNotFound] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="With `slug=` only: the slugs asked for that no listed record has.",
    )
