"""Derived at each HPO import from the annotations: each term's information content, and what
ranking by symptoms reads of each condition (app.models.PhenotypeCoverage).

The model (app.matching.scoring holds its constants and the query-side rules). Someone with a
condition shows each of its annotated features at the rate the annotation gives, and names a
feature either by its own term or by a broader one:

- p(t | D), the chance that a term named by someone with D is t: each present annotation `a`
  weighs its frequency f(a) (DEFAULT_FREQUENCY when the source gives none), shared between
  the term itself (EXACT_SHARE) and, equally, each broader term but the two roots.
  Normalised over D's annotations, so a condition with hundreds of annotations gives each
  one less: a query that explains a few of them says less for it than for a condition it
  explains well (the penalty in the other direction).
- P(t), the same chance for an annotated condition taken at random (the mean over them).
- evidence(t, D) = ln(EPSILON + (1 - EPSILON) p(t | D) / P(t)) - ln(EPSILON): the log
  likelihood ratio of naming t, counted from the floor that a term D does not explain gets
  (a likelihood ratio of EPSILON: it might be noise, or a feature nobody annotated).
- absence(t, D) = ln(1 - (1 - EPSILON) max f(a)), over D's annotations at or below t: the log
  chance that someone with D shows none of them.
- IC(t) = -ln(n(t) / N), n(t) the annotated conditions with t or a more specific term."""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.matching import scoring
from app.models import PhenotypeAnnotation, PhenotypeCoverage, Term, term_ancestors

Row = dict[str, Any]


def _ancestors(session: Session) -> tuple[dict[int, list[int]], set[int]]:
    """Every term's ancestors (itself first), and the ids of the two roots."""
    roots = set(session.scalars(select(Term.id).where(Term.code.in_(scoring.ROOTS))))
    ancestors: dict[int, list[int]] = defaultdict(list)
    query = select(term_ancestors.c.term_id, term_ancestors.c.ancestor_id).order_by(
        term_ancestors.c.term_id, term_ancestors.c.distance, term_ancestors.c.ancestor_id
    )
    for term_id, ancestor_id in session.execute(query):
        ancestors[term_id].append(ancestor_id)
    return ancestors, roots


def _annotations(session: Session) -> dict[int, dict[int, float]]:
    """{condition id: {annotated term id: frequency}}, present annotations only; a term
    annotated twice (a merged record) keeps its higher frequency."""
    query = select(
        PhenotypeAnnotation.condition_id,
        PhenotypeAnnotation.term_id,
        PhenotypeAnnotation.frequency,
    ).where(PhenotypeAnnotation.excluded.is_(False))
    # In a fixed order: the sums below then add up alike on every engine, to the last bit.
    query = query.order_by(PhenotypeAnnotation.condition_id, PhenotypeAnnotation.id)
    found: dict[int, dict[int, float]] = defaultdict(dict)
    for condition_id, term_id, frequency in session.execute(query):
        share = scoring.frequency_fraction(frequency)
        terms = found[condition_id]
        terms[term_id] = max(terms.get(term_id, 0.0), share)
    return found


def _profiles(
    annotations: dict[int, dict[int, float]],
    ancestors: dict[int, list[int]],
    roots: set[int],
) -> Iterator[tuple[int, dict[int, float], dict[int, float]]]:
    """Per condition: its id, {term id: p(t | D)} and {term id: max frequency at or below t}.
    Made on the fly (twice: for the background, then for the rows), never all kept at once."""
    for condition_id, terms in annotations.items():
        total = sum(terms.values())
        chance: dict[int, float] = defaultdict(float)
        highest: dict[int, float] = defaultdict(float)
        for term_id, frequency in terms.items():
            lineage = ancestors.get(term_id) or [term_id]
            broader = [ancestor for ancestor in lineage[1:] if ancestor not in roots]
            weight = frequency / total if total else 0.0
            own = scoring.EXACT_SHARE if broader else 1.0
            chance[term_id] += weight * own
            highest[term_id] = max(highest[term_id], frequency)
            for ancestor in broader:
                chance[ancestor] += weight * (1 - own) / len(broader)
                highest[ancestor] = max(highest[ancestor], frequency)
        yield condition_id, chance, highest


def _points(value: float) -> int:
    return round(value * scoring.POINTS)


def compute(session: Session, write: Callable[[Iterable[Row]], object]) -> int:
    """Replaces the coverage (its rows go to `write`, the caller's bulk insert) and every
    term's information content (None where no condition covers it); returns how many terms
    got one."""
    session.execute(delete(PhenotypeCoverage))
    ancestors, roots = _ancestors(session)
    annotations = _annotations(session)
    conditions = len(annotations)
    session.execute(update(Term).values(information_content=None))
    if not conditions:
        return 0
    background: dict[int, float] = defaultdict(float)
    covering: dict[int, int] = defaultdict(int)
    for _, chance, _ in _profiles(annotations, ancestors, roots):
        for term_id, value in chance.items():
            background[term_id] += value / conditions
            covering[term_id] += 1
    floor = math.log(scoring.EPSILON)

    def rows() -> Iterator[Row]:
        for condition_id, chance, highest in _profiles(annotations, ancestors, roots):
            exact = annotations[condition_id]
            for term_id, value in chance.items():
                ratio = value / background[term_id] if background[term_id] else 0.0
                evidence = math.log(scoring.EPSILON + (1 - scoring.EPSILON) * ratio) - floor
                absence = math.log(1 - (1 - scoring.EPSILON) * highest[term_id])
                yield {
                    "term_id": term_id,
                    "condition_id": condition_id,
                    "exact": term_id in exact,
                    "evidence": _points(evidence),
                    "absence": _points(absence),
                }

    write(rows())
    counts = dict(covering)
    for root in roots:  # every annotated condition reaches the roots
        counts[root] = conditions
    values = [
        {"term_id": term, "ic": -math.log(count / conditions)} for term, count in counts.items()
    ]
    statement = (
        update(Term.__table__)  # type: ignore[arg-type]
        .where(Term.__table__.c.id == bindparam("term_id"))
        .values(information_content=bindparam("ic"))
    )
    for start in range(0, len(values), 5_000):
        session.connection().execute(statement, values[start : start + 5_000])
    return len(values)
