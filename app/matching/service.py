"""Conditions ranked by how much of the given phenotypes' information content their
annotations cover, each with the annotations that matched."""

from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from app.conditions import repository as conditions_repository
from app.conditions.schemas import PhenotypeFrequency, SelfLink
from app.core.errors import InvalidParameter
from app.core.schemas import PageLinks
from app.core.urls import condition_path
from app.matching import repository
from app.matching.repository import AnnotationHit
from app.matching.schemas import (
    ConditionMatch,
    GivenTerm,
    MatchRequest,
    MatchResponse,
    PhenotypeMatch,
)
from app.models import Term

# Terms with no annotation at or below them weigh as much as the rarest annotated term.
UNANNOTATED_IC = 10.0
# Terms this broad (e.g. Phenotypic abnormality, IC 0) match nearly everything and explain
# nothing: they are not looked up, so a broad term does not drag in every annotation.
MIN_LOOKED_UP_IC = 0.05


def _resolved(key: str, terms: list[Term]) -> list[Term]:
    """The terms a given key names: its HPO id or slug, else its name (any case)."""
    by_key = [term for term in terms if term.code == key.upper() or term.slug == key]
    return by_key or [term for term in terms if term.name.lower() == key.lower()]


def _given_terms(session: Session, keys: Sequence[str], where: str) -> list[Term]:
    """Each key resolved to exactly one HPO term; unknown and ambiguous keys are a 422 naming
    their index (with the candidates of an ambiguous one)."""
    keys = [key.strip() for key in keys]
    terms = repository.hpo_terms(session, [key.lower() for key in keys] + keys)
    given: dict[int, Term] = {}
    errors: list[dict[str, object]] = []
    unknown: list[str] = []
    ambiguous: dict[str, list[str]] = {}
    for index, key in enumerate(keys):
        if key in keys[:index]:
            continue
        found = _resolved(key, terms)
        if len(found) == 1:
            given.setdefault(found[0].id, found[0])
            continue
        if found:
            ambiguous[key] = sorted(term.code or "" for term in found)[:10]
            msg = f"{key} names {len(found)} HPO terms: {', '.join(ambiguous[key])}"
        else:
            unknown.append(key)
            msg = f"{key} is not an HPO id, slug or name here"
        kind = "ambiguous_term" if found else "unknown_term"
        errors.append({"loc": [where, "symptoms", index], "msg": msg, "type": kind})
    if errors:
        raise InvalidParameter(
            f"Unknown or ambiguous symptoms: {', '.join([*unknown, *ambiguous][:10])}. Give HPO "
            "ids (HP:0001250), symptom slugs (seizure) or names that name one term.",
            unknown=unknown,
            ambiguous=ambiguous,
            errors=errors,
        )
    return list(given.values())


def _weight(term: Term) -> float:
    ic = term.information_content
    return UNANNOTATED_IC if ic is None else ic


def _best(hits: list[AnnotationHit], given_id: int) -> AnnotationHit:
    """The annotation that best stands for a given term: the term itself, else the most
    specific (highest information content) below it."""
    return max(
        hits,
        key=lambda hit: (hit.term_id == given_id, hit.information_content or 0.0, hit.hpo_id),
    )


def match(
    session: Session, body: MatchRequest, where: str, links: Callable[[list[str], int], PageLinks]
) -> MatchResponse:
    """`where` the keys came from (query or body), for error locations; `links` makes the
    page's links from the given terms' HPO ids and the total."""
    given = _given_terms(session, body.symptoms, where)
    limit, offset = body.limit, body.offset
    total_weight = sum(_weight(term) for term in given) or 1.0
    weights = {term.id: _weight(term) for term in given if _weight(term) >= MIN_LOOKED_UP_IC}
    looked_up = list(weights)
    total, ranked = (
        repository.ranked(session, weights, limit, offset, body.status.value)
        if weights
        else (0, [])
    )
    top = [(row.covered / total_weight, row.matched, row.exact, row.condition_id) for row in ranked]
    # The annotations behind each match, for the page only.
    per_condition: dict[int, dict[int, list[AnnotationHit]]] = defaultdict(
        lambda: defaultdict(list)
    )
    top_ids = [row[3] for row in top]
    for hit in repository.annotations_under(session, looked_up, top_ids) if top_ids else []:
        per_condition[hit.condition_id][hit.given_id].append(hit)
    conditions = conditions_repository.conditions_by_id(session, [row[3] for row in top])
    items = []
    for score, matched, _, condition_id in top:
        condition = conditions.get(condition_id)
        if condition is None:  # removed by an import committed since the ranking (PostgreSQL)
            continue
        matches = []
        for term in given:
            hits = per_condition[condition_id].get(term.id)
            if not hits:
                continue
            best = _best(hits, term.id)
            matches.append(
                PhenotypeMatch(
                    given=term.code or "",
                    hpo_id=best.hpo_id,
                    name=best.name,
                    relation="same" if best.term_id == term.id else "more specific",
                    frequency=PhenotypeFrequency(**best.frequency) if best.frequency else None,
                    disease=best.disease,
                )
            )
        items.append(
            ConditionMatch(
                slug=condition.slug,
                name=condition.name,
                status=condition.status,
                score=round(score, 4),
                matched=matched,
                matches=matches,
                links=SelfLink(self=condition_path(condition.slug)),
            )
        )
    return MatchResponse(
        given=[
            GivenTerm(
                hpo_id=term.code or "",
                name=term.name,
                information_content=None
                if term.information_content is None
                else round(term.information_content, 4),
            )
            for term in given
        ],
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        links=links([term.code or "" for term in given], total),
    )
