"""Code look-ups: normalises the code as users type it, then builds the response."""

import re

from sqlalchemy.orm import Session

from app.codes import repository
from app.codes.schemas import CodedCondition, CodeLinks, CodeLookup, CodeRefOut, ConditionLinks
from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.schemas import SourceOut
from app.core.errors import NotFoundError
from app.core.urls import API_PREFIX, condition_path
from app.models import CodeEntry, Condition, Term
from app.models.kinds import CodeSystem
from app.terms import repository as term_repository

_ICD_WITHOUT_DOT = re.compile(r"^([A-Z][0-9][0-9A-Z])([0-9A-Z]{1,4})$")


class CodeNotFound(NotFoundError):
    problem = "code-not-found"
    title = "Code not found"


def normalise(system: CodeSystem, code: str) -> str:
    """G6182, g61.82 -> G61.82; ORPHA:641 -> 641; hp:0001324 or 0001324 -> HP:0001324."""
    info = CODE_SYSTEMS[system]
    value = code.strip()
    if value.upper().startswith(f"{info.curie_prefix}:") and system != CodeSystem.HPO:
        value = value.split(":", 1)[1]
    if system == CodeSystem.ICD10CM:
        value = value.upper()
        if match := _ICD_WITHOUT_DOT.match(value):
            value = f"{match[1]}.{match[2]}"
    if system == CodeSystem.HPO:
        value = value.upper()
        if not value.startswith("HP:"):
            value = f"HP:{value}"
    return value


def code_path(system: str, code: str) -> str:
    return f"{API_PREFIX}/codes/{system}/{code}"


def _ref(entry: CodeEntry) -> CodeRefOut:
    return CodeRefOut(
        code=entry.code,
        display=entry.display,
        level=entry.level,
        links=CodeLinks(self=code_path(entry.system, entry.code)),
    )


def _term_ref(term: Term) -> CodeRefOut:
    return CodeRefOut(
        code=term.code or term.slug,
        display=term.name,
        level="term",
        links=CodeLinks(self=code_path("hpo", term.code or term.slug)),
    )


# An HPO term can be listed by thousands of conditions: the look-up shows the first few.
HPO_CONDITIONS_SHOWN = 20


def _coded(condition: Condition, relation: str, provenance: str) -> CodedCondition:
    return CodedCondition(
        slug=condition.slug,
        name=condition.name,
        status=condition.status,
        relation=relation,
        provenance=provenance,
        links=ConditionLinks(self=condition_path(condition.slug)),
    )


def _annotated(session: Session, term: Term, status: str) -> tuple[int, list[CodedCondition]]:
    """The conditions listing the term (as the reverse look-up orders them): imported
    annotations are the source's links, editors' section items curated ones."""
    total, conditions = term_repository.conditions_for_term(
        session, term.id, False, HPO_CONDITIONS_SHOWN, 0, status
    )
    found, _ = term_repository.matches(session, term.id, False, [c.id for c in conditions])
    curated = {match.condition_id for match in found if match.section_kind}
    return total, [
        _coded(c, "annotated", "curated" if c.id in curated else "source") for c in conditions
    ]


def look_up(session: Session, system: CodeSystem, raw_code: str, status: str) -> CodeLookup:
    code = normalise(system, raw_code)
    info = CODE_SYSTEMS[system]
    entry = repository.get_entry(session, system.value, code)
    term = repository.hpo_term(session, code) if system == CodeSystem.HPO else None
    carriers = repository.conditions_with_code(session, system.value, code, status)
    total = len(carriers)
    conditions = [_coded(c, carried.relation, carried.provenance) for c, carried in carriers]
    if term is not None and not carriers:
        total, conditions = _annotated(session, term, status)
    if entry is None and term is None and not carriers:
        raise CodeNotFound(
            f"Nothing is known of {info.curie(code)}: no {info.name} entry and no condition "
            "carries it.",
            system=system.value,
            code=code,
        )
    parents = repository.entries(session, system.value, entry.path) if entry else {}
    source = repository.source(
        session, entry.source_id if entry else term.source_id if term else None
    )
    source_out = SourceOut.model_validate(source) if source else None
    term_link = f"{API_PREFIX}/symptoms/{code}" if term else None
    return CodeLookup(
        system=system.value,
        code=code,
        curie=info.curie(code),
        display=entry.display if entry else term.name if term else carriers[0][1].display,
        level=entry.level if entry else "term" if term else None,
        inclusion_terms=entry.inclusion_terms if entry else [],
        includes=(entry.includes or []) if entry else [],
        parents=[_ref(parents[c]) for c in (entry.path if entry else []) if c in parents]
        or [_term_ref(t) for t in (term_repository.parents(session, term.id) if term else [])],
        children=[_ref(child) for child in repository.children(session, system.value, code)]
        or [_term_ref(t) for t in (term_repository.children(session, term.id) if term else [])],
        conditions=conditions,
        conditions_total=total,
        source=source_out,
        attributions=[source_out.attribution] if source_out and source_out.attribution else [],
        links=CodeLinks(
            self=code_path(system.value, code),
            term=term_link,
            conditions=f"{term_link}/conditions" if term_link else None,
        ),
    )
