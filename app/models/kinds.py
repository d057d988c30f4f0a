"""Fixed vocabularies of the condition record: section kinds, statuses, code systems, terms."""

from dataclasses import dataclass
from enum import StrEnum


class SectionKind(StrEnum):
    OVERVIEW = "overview"
    TYPES = "types"
    CAUSES = "causes"
    RISK_FACTORS = "risk-factors"
    SYMPTOMS = "symptoms"
    DIAGNOSIS = "diagnosis"
    TREATMENTS = "treatments"
    DRUGS = "drugs"
    SURGERIES = "surgeries"
    COMPLICATIONS = "complications"
    PREVENTION = "prevention"
    PROGNOSIS = "prognosis"
    WHEN_TO_SEE_A_DOCTOR = "when-to-see-a-doctor"
    EPIDEMIOLOGY = "epidemiology"


SECTION_KIND_VALUES = [kind.value for kind in SectionKind]


class ConditionStatus(StrEnum):
    PUBLISHED = "published"
    DRAFT = "draft"
    RETIRED = "retired"


class ChangeAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    RETIRED = "retired"
    MOVED = "moved"  # the slug was renamed: see moved_to
    REMOVED = "removed"  # an import's new release no longer has the record


class CodeSystem(StrEnum):
    """Systems are named in lowercase; `ICD10CM` or `Orpha` are accepted as the same system."""

    ICD10CM = "icd10cm"
    ORPHA = "orpha"
    OMIM = "omim"
    MONDO = "mondo"
    HPO = "hpo"
    SNOMEDCT = "snomedct"
    UMLS = "umls"
    DECIPHER = "decipher"
    RXNORM = "rxnorm"
    ATC = "atc"

    @classmethod
    def _missing_(cls, value: object) -> "CodeSystem | None":
        if isinstance(value, str):
            return next((member for member in cls if member.value == value.lower()), None)
        return None


class CodeRelation(StrEnum):
    EXACT = "exact"
    NARROWER = "narrower"
    BROADER = "broader"
    RELATED = "related"
    # Linked because the names are equal after normalisation: computed, not curated.
    NAME_MATCH = "name-match"


class CodeProvenance(StrEnum):
    CURATED = "curated"  # written by an editor (seed files, later the write API)
    SOURCE = "source"  # stated by an imported data source
    COMPUTED = "computed"  # derived by us, e.g. by matching names; never a curated mapping


class ConditionOrigin(StrEnum):
    SEED = "seed"
    HPO = "hpo"  # created by the HPO annotations import, replaced with each release
    HPO_TERM = (
        "hpo-term"  # a common condition made from an HPO term (app/importers/hpo_conditions.py)
    )


class TermKind(StrEnum):
    SYMPTOM = "symptom"
    DRUG = "drug"
    TEST = "test"
    PROCEDURE = "procedure"


@dataclass(frozen=True)
class SectionKindInfo:
    kind: SectionKind
    title: str
    description: str
    item_type: str
    term_kind: TermKind | None
    schema_org_aspect: str | None


SECTION_KINDS: tuple[SectionKindInfo, ...] = (
    SectionKindInfo(
        SectionKind.OVERVIEW,
        "Overview",
        "What the condition is, in brief.",
        "fact",
        None,
        "OverviewHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.TYPES,
        "Types",
        "Recognised forms or subtypes of the condition.",
        "fact",
        None,
        "TypesHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.CAUSES,
        "Causes",
        "What is known or thought to cause the condition.",
        "cause",
        None,
        "CausesHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.RISK_FACTORS,
        "Risk factors",
        "What makes the condition more likely.",
        "cause",
        None,
        None,
    ),
    SectionKindInfo(
        SectionKind.SYMPTOMS,
        "Symptoms",
        "Signs and symptoms, with frequency and onset where known.",
        "symptom",
        TermKind.SYMPTOM,
        "SymptomsHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.DIAGNOSIS,
        "Diagnosis",
        "Examinations and tests used to diagnose the condition.",
        "test",
        TermKind.TEST,
        None,
    ),
    SectionKindInfo(
        SectionKind.TREATMENTS,
        "Treatments",
        "Therapies and care used to manage the condition.",
        "intervention",
        TermKind.PROCEDURE,
        "TreatmentsHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.DRUGS,
        "Drugs",
        "Medicines used for the condition, by class.",
        "drug",
        TermKind.DRUG,
        "TreatmentsHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.SURGERIES,
        "Surgeries",
        "Operations and procedures, when they have a role.",
        "intervention",
        TermKind.PROCEDURE,
        "TreatmentsHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.COMPLICATIONS,
        "Complications",
        "Problems the condition can lead to.",
        "fact",
        None,
        "RisksOrComplicationsHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.PREVENTION,
        "Prevention",
        "Whether and how the condition can be prevented.",
        "intervention",
        None,
        "PreventionHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.PROGNOSIS,
        "Prognosis",
        "The likely course and outlook.",
        "fact",
        None,
        "PrognosisHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.WHEN_TO_SEE_A_DOCTOR,
        "When to see a doctor",
        "Signs that should prompt a visit to a health professional.",
        "fact",
        None,
        "SeeDoctorHealthAspect",
    ),
    SectionKindInfo(
        SectionKind.EPIDEMIOLOGY,
        "Epidemiology",
        "How common the condition is, and in whom.",
        "fact",
        None,
        None,
    ),
)

SECTION_INFO: dict[SectionKind, SectionKindInfo] = {info.kind: info for info in SECTION_KINDS}
SECTION_ORDER: dict[str, int] = {info.kind.value: index for index, info in enumerate(SECTION_KINDS)}


# Disease ids as records list them: Orphanet's first, then OMIM's, then DECIPHER's.
DISEASE_ID_RANK = {"ORPHA": 0, "OMIM": 1, "DECIPHER": 2}


def disease_system_rank(disease_id: str) -> int:
    return DISEASE_ID_RANK.get(disease_id.partition(":")[0], len(DISEASE_ID_RANK))


def disease_id_order(disease_id: str) -> tuple[int, int, str]:
    """Sort key of a disease id: its system's rank, then its number."""
    number = disease_id.partition(":")[2]
    return disease_system_rank(disease_id), int(number) if number.isdigit() else 0, disease_id
