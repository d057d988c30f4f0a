"""The FHIR canonical URIs of the code systems we hold, and of this service's own resources."""

import re
from dataclasses import dataclass

from app.conditions.code_systems import CODE_SYSTEMS
from app.core.urls import FHIR_PREFIX
from app.models.kinds import CodeSystem


@dataclass(frozen=True)
class HeldSystem:
    """A code system as FHIR names it; `system` None is our own: condition slugs."""

    uri: str
    system: CodeSystem | None

    def fhir_code(self, code: str) -> str:
        """Codes as FHIR writes them: OBO ids keep their prefix (MONDO:0018979, HP:0001324),
        which our records leave off for MONDO; the others are stored as FHIR writes them."""
        if self.system == CodeSystem.MONDO:
            return CODE_SYSTEMS[CodeSystem.MONDO].curie(code)
        return code


# The URIs HL7's terminology (THO) names, or, for the OBO ontologies, their OWL files.
HELD = (
    HeldSystem("http://hl7.org/fhir/sid/icd-10-cm", CodeSystem.ICD10CM),
    HeldSystem("http://www.orpha.net", CodeSystem.ORPHA),
    HeldSystem("http://omim.org", CodeSystem.OMIM),
    HeldSystem("http://purl.obolibrary.org/obo/hp.owl", CodeSystem.HPO),
    HeldSystem("http://purl.obolibrary.org/obo/mondo.owl", CodeSystem.MONDO),
    HeldSystem("http://snomed.info/sct", CodeSystem.SNOMEDCT),
    HeldSystem("http://www.nlm.nih.gov/research/umls", CodeSystem.UMLS),
)
BY_SYSTEM = {held.system: held for held in HELD}
# HL7's terminology authority endorses Orphanet's https form; FHIR examples use http.
ALIASES = {"https://www.orpha.net": BY_SYSTEM[CodeSystem.ORPHA]}


def _own(kind: str) -> str:
    """Our resources' canonical URLs are made from the request's base URL; the scheme, host
    and any prefix a proxy adds are not compared, only the path from /fhir on."""
    # Explicit classes, not \s: the inputs' pattern is checked by pydantic's (Rust) regex and
    # by Python's, which disagree on what \s holds.
    return rf"https?://[^/?#\x00-\x20\x7f]+(?:/[^?#\x00-\x20\x7f]*)?{FHIR_PREFIX}/{kind}/conditions"


OWN_CODE_SYSTEM = re.compile(_own("CodeSystem"))
OWN_VALUE_SET = re.compile(_own("ValueSet"))
OWN_CONCEPT_MAP = re.compile(_own("ConceptMap"))

# What a `system` parameter may name: one pattern, which the OpenAPI document states too.
SYSTEM_PATTERN = (
    "^(?:"
    + "|".join(re.escape(uri) for uri in [*(held.uri for held in HELD), *ALIASES])
    + "|"
    + OWN_CODE_SYSTEM.pattern
    + ")$"
)


def own_url(base: str, kind: str) -> str:
    """The canonical URL of our CodeSystem, ValueSet or ConceptMap `conditions`."""
    return f"{base}{FHIR_PREFIX}/{kind}/conditions"


SYSTEMS_HELD = (
    "must name a code system held here: "
    + ", ".join(held.uri for held in HELD)
    + f", or this server's {own_url('<base>', 'CodeSystem')}"
)


def held_system(uri: str, base: str) -> HeldSystem | None:
    """The system `uri` names (ours with the URL made from `base`), or None."""
    if OWN_CODE_SYSTEM.fullmatch(uri):
        return HeldSystem(own_url(base, "CodeSystem"), None)
    return ALIASES.get(uri) or next((held for held in HELD if held.uri == uri), None)


def held_for(system: str) -> HeldSystem | None:
    """The FHIR system of one of our code system names (`orpha`), or None when FHIR gets none."""
    try:
        return BY_SYSTEM.get(CodeSystem(system))
    except ValueError:
        return None
