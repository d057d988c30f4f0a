"""Queries of the symptom match: the given terms, the ranking, and the rows that explain it."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from app.conditions.status import DEFAULT_STATUS
from app.matching import scoring
from app.models import Condition, PhenotypeAnnotation, PhenotypeCoverage, Term, term_ancestors
from app.models.kinds import ConditionStatus

# A ranking sums millionths: stored thousandths times a weight in thousandths.
WHOLE = 1000


def hpo_terms(session: Session, keys: Sequence[str]) -> list[Term]:
    """The HPO terms whose id or slug is one of `keys`, and, for keys that name none that
    way, the terms whose name (any case) is one: names last, since they are not indexed."""
    symptom = (Term.kind == "symptom", Term.code.is_not(None))
    found = list(
        session.scalars(
            select(Term).where(
                *symptom,
                or_(Term.code.in_([key.upper() for key in keys]), Term.slug.in_(keys)),
            )
        )
    )
    named = {term.code for term in found} | {term.slug for term in found}
    rest = [key.lower() for key in keys if key.upper() not in named and key not in named]
    if rest:
        found += session.scalars(select(Term).where(*symptom, func.lower(Term.name).in_(rest)))
    return found


@dataclass(frozen=True)
class Nearby:
    """A broader term near a given one, through which the given term earns partial credit."""

    given_id: int
    term_id: int
    code: str
    information_content: float
    distance: int


def nearby_broader(session: Session, given_ids: Sequence[int]) -> list[Nearby]:
    """The given terms' broader terms at most MAX_PARTIAL_DISTANCE steps up that are
    informative enough (IC >= MIN_PARTIAL_IC) to lend partial credit, nearest first."""
    query = (
        select(
            term_ancestors.c.term_id,
            Term.id,
            Term.code,
            Term.information_content,
            term_ancestors.c.distance,
        )
        .join(Term, Term.id == term_ancestors.c.ancestor_id)
        .where(
            term_ancestors.c.term_id.in_(given_ids),
            term_ancestors.c.distance.between(1, scoring.MAX_PARTIAL_DISTANCE),
            Term.information_content >= scoring.MIN_PARTIAL_IC,
            Term.code.not_in(scoring.ROOTS),
        )
        .order_by(term_ancestors.c.distance, Term.information_content.desc(), Term.code)
    )
    return [Nearby(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class Ranked:
    condition_id: int
    score: int  # millionths of a natural-log unit
    matched: int  # how many given present terms earn it points
    exact: int  # how many of those through the term itself, annotated as given


def _given_part(index: int, readings: dict[int, int], params: dict[str, Any]) -> str:
    """One given term's points per condition: the best of its readings (the term itself, or a
    nearby broader term), each a term's evidence times its weight in thousandths."""
    if len(readings) == 1:  # the term itself alone: one row per condition already
        ((term_id, weight),) = readings.items()
        params |= {f"g{index}": term_id, f"w{index}": weight}
        return (
            f"SELECT condition_id, evidence * :w{index} AS points, 1 AS matched, "  # noqa: S608 (our fragments; values bound)
            "CASE WHEN exact THEN 1 ELSE 0 END AS exact FROM phenotype_coverage "
            f"WHERE term_id = :g{index} AND evidence > 0"
        )
    whens, names = [], []
    for number, (term_id, weight) in enumerate(readings.items()):
        name = f"r{index}_{number}"
        params |= {name: term_id, f"w{name}": weight}
        whens.append(f"WHEN :{name} THEN :w{name}")
        names.append(f":{name}")
    params[f"g{index}"] = next(iter(readings))
    return (
        f"SELECT condition_id, MAX(evidence * CASE term_id {' '.join(whens)} ELSE 0 END) "  # noqa: S608 (our fragments; values bound)
        "AS points, 1 AS matched, "
        f"MAX(CASE WHEN exact AND term_id = :g{index} THEN 1 ELSE 0 END) AS exact "
        f"FROM phenotype_coverage WHERE term_id IN ({', '.join(names)}) AND evidence > 0 "
        "GROUP BY condition_id"
    )


# Up to this many ids go into the ranking as a list; more, and it reads them by subquery.
MAX_LISTED = 500


def _shown(session: Session, status: str, params: dict[str, Any]) -> str:
    """The WHERE clause keeping conditions of this status, by the smaller set: the few that
    are not published (usually none: no clause at all), or the few of another status. Listed
    ids, not a subquery, which PostgreSQL re-ran for every branch of the ranking."""
    published = status == DEFAULT_STATUS.value
    others = [kind.value for kind in ConditionStatus if kind.value != status]
    query = select(Condition.id).where(
        Condition.status.in_(others) if published else Condition.status == status
    )
    ids = list(session.scalars(query.limit(MAX_LISTED + 1)))
    if published and not ids:
        return ""
    params["status"] = status
    if len(ids) > MAX_LISTED:
        return (
            "WHERE condition_id NOT IN (SELECT id FROM conditions WHERE status <> :status)"
            if published
            else "WHERE condition_id IN (SELECT id FROM conditions WHERE status = :status)"
        )
    names = []
    for number, condition_id in enumerate(ids):
        params[f"c{number}"] = condition_id
        names.append(f":c{number}")
    listed = ", ".join(names) or "NULL"
    return f"WHERE condition_id {'NOT IN' if published else 'IN'} ({listed})"


def ranked(
    session: Session,
    readings: dict[int, dict[int, int]],
    excluded_ids: Sequence[int],
    limit: int,
    offset: int,
    status: str,
) -> tuple[int, list[Ranked]]:
    """The conditions of this status earning points for at least one given term, best first,
    and how many there are. `readings` maps each given term to the terms read for it (itself
    first) with the share of their evidence it earns, in thousandths: itself at 1000, its
    nearby broader terms less. Summed in the database from the rows derived at import, so a
    broad term costs one row per condition, not every annotation below it.

    SQL text from fixed fragments, every value a bound parameter (hence the S608 waivers): its
    shape changes with each
    query's terms, and SQLAlchemy compiled each new shape anew, which took longer than the
    query ran."""
    params: dict[str, Any] = {"contradiction": -scoring.CONTRADICTION * WHOLE}
    parts = [_given_part(i, terms, params) for i, terms in enumerate(readings.values())]
    given = ", ".join(f":g{i}" for i in range(len(readings)))
    if excluded_ids:
        names = []
        for number, term_id in enumerate(excluded_ids):
            params[f"x{number}"] = term_id
            names.append(f":x{number}")
        parts.append(
            f"SELECT condition_id, absence * {WHOLE} AS points, 0 AS matched, 0 AS exact "  # noqa: S608 (our fragments; values bound)
            f"FROM phenotype_coverage WHERE term_id IN ({', '.join(names)}) AND absence < 0"
        )
    # A NOT annotation on a given term or a broader one: absent there, so here too. Once per
    # condition and given term.
    parts.append(
        "SELECT condition_id, :contradiction AS points, 0 AS matched, 0 AS exact FROM ("  # noqa: S608 (our fragments; values bound)
        "SELECT DISTINCT a.condition_id, x.term_id FROM phenotype_annotations a "
        "JOIN term_ancestors x ON x.ancestor_id = a.term_id "
        f"WHERE a.excluded = true AND x.term_id IN ({given})) AS contradicted"
    )
    shown = _shown(session, status, params)
    grouped = (
        f"FROM ({' UNION ALL '.join(parts)}) AS scored {shown} "
        "GROUP BY condition_id HAVING SUM(matched) > 0"
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Its parallel workers cost more to start than this query takes (a few ms), and take
        # the cores that other requests wait for. For this transaction only.
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    # The total: in the same pass on PostgreSQL (it aggregates by hash, every group at hand);
    # counted apart on SQLite, where a window over every group sorts them all.
    total_column = ", COUNT(*) OVER () AS total" if postgres else ""
    page = text(
        "SELECT condition_id, SUM(points) AS score, SUM(matched) AS matched, "
        f"SUM(exact) AS exact{total_column} {grouped} "
        "ORDER BY score DESC, matched DESC, exact DESC, condition_id LIMIT :limit OFFSET :offset"
    )
    rows = session.execute(page, {**params, "limit": limit, "offset": offset}).all()
    if postgres and rows:
        total = int(rows[0][4])
    elif offset == 0 and len(rows) < limit:
        total = len(rows)
    else:
        count = f"SELECT COUNT(*) FROM (SELECT condition_id {grouped}) AS matched"  # noqa: S608
        total = session.scalar(text(count), params) or 0
    return total, [Ranked(row[0], int(row[1]), int(row[2]), int(row[3])) for row in rows]


@dataclass(frozen=True)
class Coverage:
    condition_id: int
    term_id: int
    exact: bool
    evidence: int
    absence: int


def coverage_of(
    session: Session, term_ids: Sequence[int], condition_ids: Sequence[int]
) -> list[Coverage]:
    """The coverage rows of these terms and conditions: what a page's explanations add up."""
    query = select(
        PhenotypeCoverage.condition_id,
        PhenotypeCoverage.term_id,
        PhenotypeCoverage.exact,
        PhenotypeCoverage.evidence,
        PhenotypeCoverage.absence,
    ).where(
        PhenotypeCoverage.term_id.in_(term_ids),
        PhenotypeCoverage.condition_id.in_(condition_ids),
    )
    return [Coverage(*row) for row in session.execute(query)]


# The frequency as the stored JSON text: a page reads hundreds of annotations and shows a few.
_FREQUENCY_TEXT = cast(PhenotypeAnnotation.frequency, Text)


@dataclass(frozen=True)
class AnnotationHit:
    condition_id: int
    under_id: int  # the term looked up: the annotated term or one of its ancestors
    term_id: int
    hpo_id: str
    name: str
    information_content: float | None
    frequency_json: str | None  # decoded only for the annotations an answer shows
    disease: str

    @property
    def frequency(self) -> dict[str, Any] | None:
        return json.loads(self.frequency_json) if self.frequency_json else None


def _hits(
    closure: Any, condition_ids: Sequence[int], *, excluded: bool, extra: tuple[Any, ...] = ()
) -> Any:
    """The SELECT of AnnotationHit rows (after `extra` columns): these conditions'
    annotations, present or NOT, each with the closure row it joins."""
    annotated = aliased(Term)
    return (
        select(
            *extra,
            PhenotypeAnnotation.condition_id,
            term_ancestors.c.ancestor_id,
            annotated.id,
            annotated.code,
            annotated.name,
            annotated.information_content,
            _FREQUENCY_TEXT,
            PhenotypeAnnotation.disease_code,
        )
        .join(term_ancestors, closure)
        .join(annotated, annotated.id == PhenotypeAnnotation.term_id)
        .where(
            PhenotypeAnnotation.condition_id.in_(condition_ids),
            PhenotypeAnnotation.excluded.is_(excluded),
        )
    )


def annotations_under(
    session: Session, term_ids: Sequence[int], condition_ids: Sequence[int], *, excluded: bool
) -> list[AnnotationHit]:
    """These conditions' annotations, present or NOT, at or below the given terms. The
    closure holds each term as its own ancestor, so one join covers both."""
    query = _hits(
        term_ancestors.c.term_id == PhenotypeAnnotation.term_id, condition_ids, excluded=excluded
    ).where(
        # `+ 0`: from the page's annotations up to the terms (by the closure's key), never
        # down from a broad term through its index to its thousands of descendants, as
        # SQLite's planner would otherwise choose.
        (term_ancestors.c.ancestor_id + 0).in_(term_ids),
    )
    return [AnnotationHit(*row) for row in session.execute(query)]


def contradicting(
    session: Session, given_ids: Sequence[int], condition_ids: Sequence[int]
) -> list[tuple[int, AnnotationHit]]:
    """(given term, NOT annotation) pairs: these conditions' NOT annotations on a given term or
    one of its ancestors (absent there, so absent for the more specific given term too)."""
    closure = term_ancestors.c.ancestor_id == PhenotypeAnnotation.term_id
    query = _hits(closure, condition_ids, excluded=True, extra=(term_ancestors.c.term_id,))
    query = query.where(term_ancestors.c.term_id.in_(given_ids))
    return [(row[0], AnnotationHit(*row[1:])) for row in session.execute(query)]


@dataclass(frozen=True)
class Shown:
    slug: str
    name: str
    status: str


def conditions_shown(session: Session, condition_ids: Sequence[int]) -> dict[int, Shown]:
    """What a match shows of each ranked condition (not the whole row and its JSON)."""
    query = select(Condition.id, Condition.slug, Condition.name, Condition.status).where(
        Condition.id.in_(condition_ids)
    )
    return {row[0]: Shown(*row[1:]) for row in session.execute(query)}
