"""Derived at each HPO import from the annotations: which terms each condition covers (its
annotated terms and their ancestors; the closure includes each term itself), and each term's
information content IC(t) = -ln(n(t) / N), n(t) the conditions covering t, N all annotated
conditions."""

import math

from sqlalchemy import bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.models import PhenotypeAnnotation, PhenotypeCoverage, Term, term_ancestors


def _cover(session: Session) -> None:
    session.execute(delete(PhenotypeCoverage))
    exact = func.max(
        case((PhenotypeAnnotation.term_id == term_ancestors.c.ancestor_id, 1), else_=0)
    )
    pairs = (
        select(term_ancestors.c.ancestor_id, PhenotypeAnnotation.condition_id, exact == 1)
        .join(term_ancestors, term_ancestors.c.term_id == PhenotypeAnnotation.term_id)
        .where(PhenotypeAnnotation.excluded.is_(False))
        .group_by(term_ancestors.c.ancestor_id, PhenotypeAnnotation.condition_id)
    )
    columns = ["term_id", "condition_id", "exact"]
    session.execute(insert(PhenotypeCoverage).from_select(columns, pairs))


def compute(session: Session) -> int:
    """Stores the coverage, and every term's information content (None where no condition
    covers it); returns how many terms got one."""
    _cover(session)
    present = PhenotypeAnnotation.excluded.is_(False)
    total = session.scalar(
        select(func.count(func.distinct(PhenotypeAnnotation.condition_id))).where(present)
    )
    session.execute(update(Term).values(information_content=None))
    if not total:
        return 0
    counts = session.execute(
        select(PhenotypeCoverage.term_id, func.count()).group_by(PhenotypeCoverage.term_id)
    ).all()
    values = [{"term_id": term_id, "ic": -math.log(count / total)} for term_id, count in counts]
    statement = (
        update(Term.__table__)  # type: ignore[arg-type]
        .where(Term.__table__.c.id == bindparam("term_id"))
        .values(information_content=bindparam("ic"))
    )
    for start in range(0, len(values), 5_000):
        session.connection().execute(statement, values[start : start + 5_000])
    return len(values)
