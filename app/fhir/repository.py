"""The one SELECT the FHIR facade needs beyond the codes, terms and conditions repositories."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Code


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
