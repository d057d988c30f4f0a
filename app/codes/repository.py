"""Every SELECT of the codes domain."""

from collections.abc import Sequence

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from app.conditions.status import shown
from app.models import Code, CodeEntry, Condition, Source, Term


def get_entry(session: Session, system: str, code: str) -> CodeEntry | None:
    return session.scalar(
        select(CodeEntry).where(CodeEntry.system == system, CodeEntry.code == code)
    )


def entries(session: Session, system: str, codes: Sequence[str]) -> dict[str, CodeEntry]:
    if not codes:
        return {}
    query = select(CodeEntry).where(CodeEntry.system == system, CodeEntry.code.in_(codes))
    return {entry.code: entry for entry in session.scalars(query)}


def children(session: Session, system: str, code: str) -> Sequence[CodeEntry]:
    query = (
        select(CodeEntry)
        .where(CodeEntry.system == system, CodeEntry.parent_code == code)
        .order_by(CodeEntry.code)
    )
    return session.scalars(query).all()


# Editors' links before a source's before computed ones; exact before narrower or broader.
PROVENANCE_ORDER = {"curated": 0, "source": 1, "computed": 2}
RELATION_ORDER = {"exact": 0, "narrower": 1, "broader": 2, "related": 3, "name-match": 4}


def conditions_with_code(
    session: Session, system: str, code: str, status: str
) -> Sequence[tuple[Condition, Code]]:
    """The conditions (with `status`) carrying the code, the surest links first, then by name."""
    return conditions_with_codes(session, system, [code], status).get(code, [])


def conditions_with_codes(
    session: Session, system: str, codes: Sequence[str], status: str
) -> dict[str, list[tuple[Condition, Code]]]:
    """conditions_with_code for many codes of one system in one query, by code."""
    if not codes:
        return {}
    query = (
        select(Condition, Code)
        .join(Code, Code.condition_id == Condition.id)
        .where(Code.system == system, Code.code.in_(list(dict.fromkeys(codes))), shown(status))
        .order_by(
            Code.code,
            case(PROVENANCE_ORDER, value=Code.provenance, else_=len(PROVENANCE_ORDER)),
            case(RELATION_ORDER, value=Code.relation, else_=len(RELATION_ORDER)),
            Condition.name,
            Condition.slug,
        )
    )
    found: dict[str, list[tuple[Condition, Code]]] = {}
    for condition, code in session.execute(query):
        found.setdefault(code.code, []).append((condition, code))
    return found


def hpo_terms(session: Session, codes: Sequence[str]) -> dict[str, Term]:
    if not codes:
        return {}
    query = select(Term).where(Term.kind == "symptom", Term.code.in_(list(dict.fromkeys(codes))))
    return {term.code: term for term in session.scalars(query) if term.code}


def hpo_term(session: Session, code: str) -> Term | None:
    return hpo_terms(session, [code]).get(code)


def source(session: Session, source_id: int | None) -> Source | None:
    return session.get(Source, source_id) if source_id is not None else None


def codes_of(session: Session, condition_ids: Sequence[int], system: str | None) -> Sequence[Code]:
    """The codes these conditions carry (of `system` only, when given), in record order."""
    if not condition_ids:
        return []
    query = (
        select(Code)
        .where(Code.condition_id.in_(condition_ids))
        .order_by(Code.condition_id, Code.position)
    )
    if system is not None:
        query = query.where(Code.system == system)
    return session.scalars(query).all()
