"""Information content of phenotype terms, computed from the annotations at each HPO import:
IC(t) = -ln(n(t) / N), n(t) the annotated conditions having t or a more specific term (the
closure includes each term itself), N all annotated conditions."""

import math

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from app.models import PhenotypeAnnotation, Term, term_ancestors


def compute(session: Session) -> int:
    """Stores every term's information content (None where nothing is annotated with it or
    below it); returns how many terms got one."""
    present = PhenotypeAnnotation.excluded.is_(False)
    total = session.scalar(
        select(func.count(func.distinct(PhenotypeAnnotation.condition_id))).where(present)
    )
    session.execute(update(Term).values(information_content=None))
    if not total:
        return 0
    counts = session.execute(
        select(
            term_ancestors.c.ancestor_id,
            func.count(func.distinct(PhenotypeAnnotation.condition_id)),
        )
        .join(term_ancestors, term_ancestors.c.term_id == PhenotypeAnnotation.term_id)
        .where(present)
        .group_by(term_ancestors.c.ancestor_id)
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
