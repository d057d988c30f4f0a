"""Conditions ranked by how well their annotations explain the given phenotypes (the score
of app.matching.information and app.matching.scoring), each with what earned its points and
what took some off."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.conditions.schemas import PhenotypeFrequency
from app.core.errors import InvalidParameter
from app.core.schemas import PageLinks, SelfLink
from app.core.urls import condition_path
from app.matching import repository, scoring
from app.matching.repository import WHOLE, AnnotationHit, Coverage, Nearby
from app.matching.schemas import (
    ConditionMatch,
    ConflictRelation,
    GivenTerm,
    MatchRequest,
    MatchResponse,
    PhenotypeConflict,
    PhenotypeMatch,
)
from app.models import Term


def _resolved(key: str, terms: list[Term]) -> list[Term]:
    """The terms a given key names: its HPO id or slug, else its name (any case)."""
    by_key = [term for term in terms if term.code == key.upper() or term.slug == key]
    return by_key or [term for term in terms if term.name.lower() == key.lower()]


def _given_terms(
    session: Session, fields: dict[str, Sequence[str]], where: str
) -> dict[str, list[Term]]:
    """Each key of each field (symptoms, excluded) resolved to exactly one HPO term; unknown
    and ambiguous keys are a 422 naming their field and index (with the candidates of an
    ambiguous one), and so is a term given both as present and as excluded."""
    fields = {field: [key.strip() for key in keys] for field, keys in fields.items()}
    every = [key for keys in fields.values() for key in keys]
    terms = repository.hpo_terms(session, [key.lower() for key in every] + every)
    given: dict[str, dict[int, Term]] = {field: {} for field in fields}
    errors: list[dict[str, object]] = []
    unknown: list[str] = []
    ambiguous: dict[str, list[str]] = {}
    for field, keys in fields.items():
        for index, key in enumerate(keys):
            if key in keys[:index]:
                continue
            found = _resolved(key, terms)
            if len(found) == 1:
                given[field].setdefault(found[0].id, found[0])
                continue
            if found:
                ambiguous[key] = sorted(term.code or "" for term in found)[:10]
                msg = f"{key} names {len(found)} HPO terms: {', '.join(ambiguous[key])}"
            else:
                unknown.append(key)
                msg = f"{key} is not an HPO id, slug or name here"
            kind = "ambiguous_term" if found else "unknown_term"
            errors.append({"loc": [where, field, index], "msg": msg, "type": kind})
    if errors:
        raise InvalidParameter(
            f"Unknown or ambiguous symptoms: {', '.join([*unknown, *ambiguous][:10])}. Give HPO "
            "ids (HP:0001250), symptom slugs (seizure) or names that name one term.",
            unknown=unknown,
            ambiguous=ambiguous,
            errors=errors,
        )
    present, absent = given["symptoms"], given.get("excluded", {})
    both = [term for term_id, term in absent.items() if term_id in present]
    if both:
        codes = [term.code or "" for term in both]
        raise InvalidParameter(
            f"Given both as present and as excluded: {', '.join(codes)}.",
            errors=[
                {
                    "loc": [where, "excluded", fields["excluded"].index(key)],
                    "msg": f"{key} is also given in symptoms",
                    "type": "contradictory_term",
                }
                for key in fields["excluded"]
                if any(term in _resolved(key, both) for term in both)
            ],
        )
    return {field: list(found.values()) for field, found in given.items()}


def _ic(term: Term) -> float:
    ic = term.information_content
    return scoring.UNANNOTATED_IC if ic is None else ic


def _readings(given: list[Term], nearby: list[Nearby]) -> dict[int, dict[int, int]]:
    """given term -> {term read for it: share of its evidence, in thousandths}: the given
    term itself in full, each nearby broader term by partial_weight."""
    readings = {term.id: {term.id: WHOLE} for term in given}
    ics = {term.id: _ic(term) for term in given}
    for broader in nearby:
        share = scoring.partial_weight(ics[broader.given_id], broader.information_content)
        if share > 0:
            readings[broader.given_id][broader.term_id] = round(share * WHOLE)
    return readings


def _frequency(hit: AnnotationHit) -> PhenotypeFrequency | None:
    return PhenotypeFrequency(**hit.frequency) if hit.frequency else None


def _best(hits: list[AnnotationHit], term_id: int) -> AnnotationHit:
    """The annotation that best stands for a term: the term itself, else the most specific
    (highest information content) below it."""
    return max(
        hits,
        key=lambda hit: (hit.term_id == term_id, hit.information_content or 0.0, hit.hpo_id),
    )


@dataclass
class _Query:
    given: list[Term]  # present, looked up
    excluded: list[Term]
    readings: dict[int, dict[int, int]]  # see _readings
    codes: dict[int, str]  # HPO ids of every term read

    @property
    def terms_read(self) -> set[int]:
        return {term for terms in self.readings.values() for term in terms}


@dataclass
class _Page:
    """What explains a page of ranked conditions: their coverage rows and annotations."""

    coverage: dict[tuple[int, int], Coverage]
    present: dict[tuple[int, int], list[AnnotationHit]]  # (condition, term) -> at or below
    absent: dict[tuple[int, int], list[AnnotationHit]]  # (condition, given) -> NOT rows


def _page(session: Session, query: _Query, condition_ids: list[int]) -> _Page:
    terms = sorted(query.terms_read | {term.id for term in query.excluded})
    coverage = {
        (row.condition_id, row.term_id): row
        for row in repository.coverage_of(session, terms, condition_ids)
    }
    present: dict[tuple[int, int], list[AnnotationHit]] = defaultdict(list)
    for hit in repository.annotations_under(session, terms, condition_ids, excluded=False):
        present[(hit.condition_id, hit.under_id)].append(hit)
    absent: dict[tuple[int, int], list[AnnotationHit]] = defaultdict(list)
    given_ids = [term.id for term in query.given]
    for given_id, hit in repository.contradicting(session, given_ids, condition_ids):
        absent[(hit.condition_id, given_id)].append(hit)
    return _Page(coverage, present, absent)


def _points(micro: int) -> float:
    return round(micro / (WHOLE * scoring.POINTS), 3)


def _matches(
    condition_id: int, page: _Page, query: _Query
) -> tuple[list[PhenotypeMatch], list[int]]:
    """For each given term that earns the condition points: the annotation behind them and
    how, with the points the ranking counted (the best reading of the term: itself, else a
    nearby broader term). Also the ids of the given terms reached as they are, or below."""
    matches, reached = [], []
    for term in query.given:
        # The best reading; among equal ones the first: the term itself, then the nearest.
        options = []
        for rank, (term_id, weight) in enumerate(query.readings[term.id].items()):
            row = page.coverage.get((condition_id, term_id))
            if row is not None and row.evidence > 0 and page.present.get((condition_id, term_id)):
                options.append((row.evidence * weight, -rank, term_id))
        if any(term_id == term.id for _, _, term_id in options):
            reached.append(term.id)
        if not options:
            continue
        points, _, term_id = max(options)
        own = term_id == term.id
        best = _best(page.present[(condition_id, term_id)], term_id)
        if own:
            relation = "same" if best.term_id == term.id else "more specific"
        else:
            relation = "broader" if best.term_id == term_id else "related"
        matches.append(
            PhenotypeMatch(
                given=term.code or "",
                hpo_id=best.hpo_id,
                name=best.name,
                relation=relation,
                through=None if own else query.codes[term_id],
                frequency=_frequency(best),
                disease=best.disease,
                points=_points(points),
            )
        )
    return matches, reached


def _conflict(
    term: Term, hit: AnnotationHit, relation: ConflictRelation, micro: int
) -> PhenotypeConflict:
    return PhenotypeConflict(
        given=term.code or "",
        hpo_id=hit.hpo_id,
        name=hit.name,
        relation=relation,
        frequency=_frequency(hit),
        disease=hit.disease,
        points=_points(micro),
    )


def _conflicts(condition_id: int, page: _Page, query: _Query) -> list[PhenotypeConflict]:
    """Given terms the condition is annotated not to have, and excluded terms it shows."""
    conflicts = []
    for term in query.given:
        hits = page.absent.get((condition_id, term.id))
        if hits:
            hit = max(hits, key=lambda hit: (hit.information_content or 0.0, hit.hpo_id))
            micro = -scoring.CONTRADICTION * WHOLE
            conflicts.append(_conflict(term, hit, "annotated absent", micro))
    for term in query.excluded:
        row = page.coverage.get((condition_id, term.id))
        hits = page.present.get((condition_id, term.id))
        if row is None or row.absence >= 0 or not hits:
            continue
        # The most frequent annotation at or below the term: the one its absence weighs.
        hit = max(hits, key=lambda hit: (scoring.frequency_fraction(hit.frequency), hit.hpo_id))
        conflicts.append(_conflict(term, hit, "given absent", row.absence * WHOLE))
    return conflicts


def _given_term(term: Term) -> GivenTerm:
    ic = term.information_content
    return GivenTerm(
        hpo_id=term.code or "",
        name=term.name,
        information_content=None if ic is None else round(ic, 4),
    )


def match(
    session: Session,
    body: MatchRequest,
    where: str,
    links: Callable[[list[str], list[str], int], PageLinks],
) -> MatchResponse:
    """`where` the keys came from (query or body), for error locations; `links` makes the
    page's links from the given and excluded terms' HPO ids and the total."""
    terms = _given_terms(session, {"symptoms": body.symptoms, "excluded": body.excluded}, where)
    given, excluded = terms["symptoms"], terms["excluded"]
    limit, offset = body.limit, body.offset
    looked_up = [term for term in given if _ic(term) >= scoring.MIN_LOOKED_UP_IC]
    nearby = repository.nearby_broader(session, [term.id for term in looked_up])
    query = _Query(
        given=looked_up,
        excluded=excluded,
        readings=_readings(looked_up, nearby),
        codes={term.id: term.code or "" for term in given}
        | {broader.term_id: broader.code for broader in nearby},
    )
    total, ranked = (
        repository.ranked(
            session,
            query.readings,
            [term.id for term in excluded],
            limit,
            offset,
            body.status.value,
        )
        if looked_up
        else (0, [])
    )
    top_ids = [row.condition_id for row in ranked]
    page = _page(session, query, top_ids) if top_ids else _Page({}, {}, {})
    conditions = repository.conditions_shown(session, top_ids)
    information = sum(_ic(term) for term in given) or 1.0
    ics = {term.id: _ic(term) for term in given}
    items = []
    for row in ranked:
        condition = conditions.get(row.condition_id)
        if condition is None:  # removed by an import committed since the ranking (PostgreSQL)
            continue
        matches, reached = _matches(row.condition_id, page, query)
        items.append(
            ConditionMatch(
                slug=condition.slug,
                name=condition.name,
                status=condition.status,
                score=_points(row.score),
                matched=row.matched,
                coverage=round(sum(ics[term_id] for term_id in reached) / information, 4),
                matches=matches,
                conflicts=_conflicts(row.condition_id, page, query),
                links=SelfLink(self=condition_path(condition.slug)),
            )
        )
    return MatchResponse(
        given=[_given_term(term) for term in given],
        excluded=[_given_term(term) for term in excluded],
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        links=links(
            [term.code or "" for term in given], [term.code or "" for term in excluded], total
        ),
    )
