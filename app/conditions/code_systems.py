"""Code systems: how their codes look, their CURIE prefix, where a code resolves."""

import re
from dataclasses import dataclass

from app.models.kinds import CodeSystem


@dataclass(frozen=True)
class CodeSystemInfo:
    system: CodeSystem
    name: str
    curie_prefix: str
    pattern: re.Pattern[str]
    url_template: str | None

    def curie(self, code: str) -> str:
        return code if code.startswith(f"{self.curie_prefix}:") else f"{self.curie_prefix}:{code}"

    def url(self, code: str) -> str | None:
        return self.url_template.format(code=code) if self.url_template else None


CODE_SYSTEMS: dict[CodeSystem, CodeSystemInfo] = {
    info.system: info
    for info in (
        CodeSystemInfo(
            CodeSystem.ICD10CM,
            "ICD-10-CM",
            "ICD10CM",
            re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?"),
            None,
        ),
        CodeSystemInfo(
            CodeSystem.ORPHA,
            "Orphanet",
            "ORPHA",
            re.compile(r"[0-9]{1,7}"),
            "https://www.orpha.net/en/disease/detail/{code}",
        ),
        CodeSystemInfo(
            CodeSystem.OMIM,
            "OMIM",
            "OMIM",
            re.compile(r"[0-9]{6}"),
            "https://omim.org/entry/{code}",
        ),
        CodeSystemInfo(
            CodeSystem.MONDO,
            "Mondo Disease Ontology",
            "MONDO",
            re.compile(r"[0-9]{7}"),
            "http://purl.obolibrary.org/obo/MONDO_{code}",
        ),
        CodeSystemInfo(
            CodeSystem.HPO,
            "Human Phenotype Ontology",
            "HP",
            re.compile(r"HP:[0-9]{7}"),
            "https://hpo.jax.org/browse/term/{code}",
        ),
        CodeSystemInfo(
            CodeSystem.SNOMEDCT,
            "SNOMED CT",
            "SCTID",
            re.compile(r"[0-9]{6,18}"),
            "https://browser.ihtsdotools.org/?perspective=full&conceptId1={code}",
        ),
        CodeSystemInfo(
            CodeSystem.UMLS,
            "Unified Medical Language System",
            "UMLS",
            re.compile(r"C[0-9]{7}"),
            "https://uts.nlm.nih.gov/uts/umls/concept/{code}",
        ),
        CodeSystemInfo(
            CodeSystem.DECIPHER, "DECIPHER", "DECIPHER", re.compile(r"[0-9]{1,6}"), None
        ),
        CodeSystemInfo(CodeSystem.RXNORM, "RxNorm", "RXNORM", re.compile(r"[0-9]{1,10}"), None),
        CodeSystemInfo(
            CodeSystem.ATC,
            "Anatomical Therapeutic Chemical",
            "ATC",
            re.compile(r"[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?"),
            None,
        ),
    )
}
