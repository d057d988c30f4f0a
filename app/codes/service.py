"""Code look-ups: normalises the code as users type it, then builds the response."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.codes import repository
from app.codes.schemas import (
    CodeBatchItem,
    CodeBatchRequest,
    CodeBatchResponse,
    CodedCondition,
    CodeLinks,
    CodeLookup,
    CodeRefOut,
)
from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.schemas import SourceOut
from app.core.errors import InvalidParameter, NotFoundError
from app.core.schemas import SelfLink
from app.core.urls import API_PREFIX, condition_path
from app.models import Code, CodeEntry, Condition, Term
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


def _normalised(system: CodeSystem, code: str, loc: list[str | int]) -> str:
    """normalise(), refusing what leaves no code (a prefix alone, `ORPHA:`)."""
    value = normalise(system, code)
    if not value.removeprefix("HP:"):
        raise InvalidParameter(
            f"{code!r} holds no {CODE_SYSTEMS[system].name} code.",
            errors=[{"loc": loc, "msg": "no code after the prefix", "type": "value_error"}],
        )
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
        links=SelfLink(self=condition_path(condition.slug)),
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


@dataclass(frozen=True)
class _Known:
    """What the data holds of one code, from its system's entry, its HPO term or its carriers."""

    display: str | None
    level: str | None
    conditions: list[CodedCondition]
    total: int


def _known(
    session: Session,
    entry: CodeEntry | None,
    term: Term | None,
    carriers: Sequence[tuple[Condition, Code]],
    status: str,
) -> _Known | None:
    conditions = [_coded(c, carried.relation, carried.provenance) for c, carried in carriers]
    total = len(carriers)
    if term is not None and not carriers:
        total, conditions = _annotated(session, term, status)
    if entry is None and term is None and not carriers:
        return None
    return _Known(
        display=entry.display if entry else term.name if term else carriers[0][1].display,
        level=entry.level if entry else "term" if term else None,
        conditions=conditions,
        total=total,
    )


def _not_known(system: CodeSystem, code: str) -> str:
    info = CODE_SYSTEMS[system]
    return (
        f"Nothing is known of {info.curie(code)}: no {info.name} entry and no condition carries it."
    )


def _links(system: CodeSystem, code: str, term: Term | None) -> CodeLinks:
    term_link = f"{API_PREFIX}/symptoms/{code}" if term else None
    return CodeLinks(
        self=code_path(system.value, code),
        term=term_link,
        conditions=f"{term_link}/conditions" if term_link else None,
    )


def look_up(session: Session, system: CodeSystem, raw_code: str, status: str) -> CodeLookup:
    code = _normalised(system, raw_code, ["path", "code"])
    entry = repository.get_entry(session, system.value, code)
    term = repository.hpo_term(session, code) if system == CodeSystem.HPO else None
    carriers = repository.conditions_with_code(session, system.value, code, status)
    known = _known(session, entry, term, carriers, status)
    if known is None:
        raise CodeNotFound(_not_known(system, code), system=system.value, code=code)
    parents = repository.entries(session, system.value, entry.path) if entry else {}
    source = repository.source(
        session, entry.source_id if entry else term.source_id if term else None
    )
    source_out = SourceOut.model_validate(source) if source else None
    return CodeLookup(
        system=system.value,
        code=code,
        curie=CODE_SYSTEMS[system].curie(code),
        display=known.display,
        level=known.level,
        inclusion_terms=entry.inclusion_terms if entry else [],
        includes=(entry.includes or []) if entry else [],
        parents=[_ref(parents[c]) for c in (entry.path if entry else []) if c in parents]
        or [_term_ref(t) for t in (term_repository.parents(session, term.id) if term else [])],
        children=[_ref(child) for child in repository.children(session, system.value, code)]
        or [_term_ref(t) for t in (term_repository.children(session, term.id) if term else [])],
        conditions=known.conditions,
        conditions_total=known.total,
        source=source_out,
        attributions=[source_out.attribution] if source_out and source_out.attribution else [],
        links=_links(system, code, term),
    )


def look_up_many(session: Session, request: CodeBatchRequest) -> CodeBatchResponse:
    """Each code as look_up finds it, with one query per system for entries and carriers (HPO
    terms without carriers list their annotated conditions, a query each); an unknown code is
    an item that says so, not an error."""
    status = request.status.value
    wanted = [
        (q.system, _normalised(q.system, q.code, ["body", "codes", index, "code"]), q.code)
        for index, q in enumerate(request.codes)
    ]
    codes: dict[CodeSystem, list[str]] = {}
    for system, code, _ in wanted:
        codes.setdefault(system, []).append(code)
    entries = {
        system: repository.entries(session, system.value, of) for system, of in codes.items()
    }
    carriers = {
        system: repository.conditions_with_codes(session, system.value, of, status)
        for system, of in codes.items()
    }
    terms = repository.hpo_terms(session, codes.get(CodeSystem.HPO, []))
    known: dict[tuple[CodeSystem, str], _Known | None] = {}
    items: list[CodeBatchItem] = []
    for system, code, given in wanted:
        term = terms.get(code) if system == CodeSystem.HPO else None
        if (system, code) not in known:
            entry = entries[system].get(code)
            known[system, code] = _known(
                session, entry, term, carriers[system].get(code, []), status
            )
        found = known[system, code]
        items.append(
            CodeBatchItem(
                system=system.value,
                code=code,
                given=given,
                curie=CODE_SYSTEMS[system].curie(code),
                found=found is not None,
                display=found.display if found else None,
                level=found.level if found else None,
                conditions=found.conditions if found else [],
                conditions_total=found.total if found else 0,
                detail=None if found else _not_known(system, code),
                links=_links(system, code, term),
            )
        )
    hits = sum(item.found for item in items)
    return CodeBatchResponse(items=items, found=hits, not_found=len(items) - hits)
