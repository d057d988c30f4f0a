"""Common conditions from HPO terms: the rule that makes an HPO term a condition record, and
what such a record takes from its term. A derived step (app/importers/derived.py), first of
all, since it reads what both imports keep: the terms (HPO import) and the ICD-10-CM titles
(ICD-10-CM import); a fresh `import all` builds the records at its ICD-10-CM import.

The rule: a current term below Phenotypic abnormality (HP:0000118, not that term itself) with a
definition, whose name or one of whose EXACT synonyms (abbreviations and obsolete synonyms
left out) has the match key (app/importers/name_links.py `match_key`) of an ICD-10-CM category
or code title or inclusion term outside chapters 18 (symptoms and signs), 20 (external
causes), 21 (factors influencing health status) and 22 (codes for special purposes).

A qualifying term enriches the record of origin `seed` or `hpo` of the same normalised name (a
`condition_terms` row), else it gets a record of its own (origin `hpo-term`). Every record
linked to a term carries its lay names (`consumer_names`: layperson synonyms of EXACT or
RELATED scope) and its SNOMED CT and UMLS cross-references as codes of relation `related`
(the HPO does not say how close a cross-reference is). Everything is written by difference."""

from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.conditions.names import normalised_name, slug_for, suffixed_slug
from app.importers import repository
from app.importers.changeset import ImportChanges
from app.importers.hpo_diseases import DISCLAIMER
from app.importers.name_links import exact_synonyms, match_key
from app.models import Code, Condition, ConditionTerm, ConditionType
from app.models.base import utcnow
from app.models.kinds import CodeProvenance, CodeRelation, ConditionOrigin

PHENOTYPIC_ABNORMALITY = "HP:0000118"
# ICD-10-CM chapters whose titles are no conditions: symptoms and signs (R), external causes
# (V-Y), factors influencing health status (Z), codes for special purposes (U).
EXCLUDED_CHAPTERS = frozenset({"18", "20", "21", "22"})
# The cross-references a term-linked record carries as codes, by the HPO's prefix.
XREF_SYSTEMS = {"SNOMEDCT_US": "snomedct", "UMLS": "umls"}
XREF_POSITION = 300  # after editors' codes, the disease ids and the ICD-10-CM name links
TERM_ORIGIN = ConditionOrigin.HPO_TERM.value
ENRICHED_ORIGINS = (ConditionOrigin.SEED.value, ConditionOrigin.HPO.value)


def lay_names(term: repository.TermRow) -> list[str]:
    """A term's layperson synonyms of EXACT or RELATED scope ("Heart attack"), but those
    that are its name again (HP:0002099 Asthma lists "Asthma")."""
    own = normalised_name(term.name)
    return list(
        dict.fromkeys(
            synonym["name"]
            for synonym in term.synonyms
            if synonym.get("type") == "layperson"
            and synonym.get("scope") in ("exact", "related")
            and normalised_name(synonym["name"]) != own
        )
    )


def record_synonyms(term: repository.TermRow) -> list[str]:
    """The synonyms of a record built from a term: its EXACT synonyms (obsolete ones left
    out), then its lay names, each once and never the name itself."""
    names = [
        synonym["name"]
        for synonym in term.synonyms
        if synonym.get("scope") == "exact" and synonym.get("type") != "obsolete_synonym"
    ]
    own = normalised_name(term.name)
    unique: dict[str, str] = {}
    for name in [*names, *lay_names(term)]:
        if normalised_name(name) != own:
            unique.setdefault(normalised_name(name), name)
    return list(unique.values())


def icd10cm_keys(session: Session) -> set[str]:
    """The match keys of the ICD-10-CM titles and inclusion terms a term may meet."""
    keys: set[str] = set()
    for _, display, inclusion_terms, chapter in repository.entry_titles(
        session, "icd10cm", ["category", "code"]
    ):
        if chapter not in EXCLUDED_CHAPTERS:
            keys.update(match_key(text) for text in [display, *inclusion_terms])
    return keys


def qualifying_terms(session: Session) -> list[repository.TermRow]:
    keys = icd10cm_keys(session)
    if not keys:
        return []
    return [
        term
        for term in repository.hpo_terms_under(session, PHENOTYPIC_ABNORMALITY)
        if term.definition
        and any(match_key(name) in keys for name in [term.name, *exact_synonyms(term.synonyms)])
    ]


def _place_records(
    session: Session, own: list[repository.TermRow], changes: ImportChanges
) -> dict[int, int]:
    """Give each term that enriches no record its own record: the one built from it before
    (renamed when the term was), else a new one; records of terms that no longer qualify are
    removed. Returns {condition id: term id} of these records."""
    records = repository.conditions_by_origin(session)
    linked = repository.condition_terms(session)
    term_records = {
        cid: (slug, name) for cid, slug, name, origin in records if origin == TERM_ORIGIN
    }
    stored = {linked[cid]: cid for cid in term_records if cid in linked}
    used = {slug for _, slug, _, origin in records if origin != TERM_ORIGIN}
    placed: dict[int, tuple[repository.TermRow, str]] = {}
    pending: list[tuple[repository.TermRow, str]] = []
    for term in own:
        slug = slug_for(term.name) or term.code.lower().replace(":", "-")
        if slug in used:
            slug = suffixed_slug(slug, term.code)
        used.add(slug)
        condition_id = stored.get(term.id)
        if condition_id is None:
            pending.append((term, slug))
        else:
            placed[condition_id] = (term, slug)
    removed = set(term_records) - set(placed)
    if removed:
        changes.removed |= removed
        for batch in repository.id_batches(sorted(removed)):
            session.execute(delete(Condition).where(Condition.id.in_(batch)))
    renamed = {cid: slug for cid, (_, slug) in placed.items() if term_records[cid][0] != slug}
    changes.moved |= {term_records[cid][0]: slug for cid, slug in renamed.items()}
    for condition_id in renamed:  # parked first, so two records swapping slugs never collide
        session.execute(
            update(Condition)
            .where(Condition.id == condition_id)
            .values(slug=f"renaming-{condition_id}")
        )
    for condition_id, (term, slug) in placed.items():
        if condition_id in renamed or term_records[condition_id][1] != term.name:
            session.execute(
                update(Condition)
                .where(Condition.id == condition_id)
                .values(slug=slug, name=term.name)
            )
            changes.mark([condition_id], "name")
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "slug": slug,
            "name": term.name,
            "synonyms": record_synonyms(term),
            "consumer_names": lay_names(term),
            "summary": None,
            "status": "published",
            "disclaimer": DISCLAIMER,
            "origin": TERM_ORIGIN,
            "revision": 1,
            "content_hash": "",
            "created_at": now,
            "updated_at": now,
            "annotation_count": 0,
        }
        for term, slug in pending
    ]
    repository.insert_rows(session, Condition, rows)
    new_ids = repository.condition_ids_for_slugs(session, [slug for _, slug in pending])
    changes.created |= set(new_ids.values())
    result = {cid: term.id for cid, (term, _) in placed.items()}
    result |= {new_ids[slug]: term.id for term, slug in pending}
    return result


def _sync_links(session: Session, wanted: dict[int, int], changes: ImportChanges) -> int:
    stored = repository.condition_terms(session)
    differ = sorted(
        cid for cid in wanted.keys() | stored.keys() if wanted.get(cid) != stored.get(cid)
    )
    moving_terms = sorted({wanted[cid] for cid in differ if cid in wanted})
    for batch in repository.id_batches(differ):
        session.execute(delete(ConditionTerm).where(ConditionTerm.condition_id.in_(batch)))
    for batch in repository.id_batches(moving_terms):  # a term moving to another record
        session.execute(delete(ConditionTerm).where(ConditionTerm.term_id.in_(batch)))
    repository.insert_rows(
        session,
        ConditionTerm,
        ({"condition_id": cid, "term_id": wanted[cid]} for cid in differ if cid in wanted),
    )
    changes.mark(differ, "hpo-term")
    return len(differ)


def _sync_names(
    session: Session,
    links: dict[int, int],
    terms: dict[int, repository.TermRow],
    changes: ImportChanges,
) -> int:
    """Lay names on every record (import-owned), and synonyms on the records built from a
    term (editors' synonyms of their own records are never touched)."""
    own = set(repository.conditions_of_origin(session, TERM_ORIGIN))
    updates = []
    for cid, (synonyms, consumer_names) in repository.term_record_fields(session).items():
        term = terms.get(links[cid]) if cid in links else None
        values: dict[str, Any] = {}
        wanted_lay = lay_names(term) if term else []
        if consumer_names != wanted_lay:
            values["consumer_names"] = wanted_lay
        if cid in own and term is not None and synonyms != (wanted := record_synonyms(term)):
            values["synonyms"] = wanted
        if values:
            updates.append({"id": cid, **values})
    for batch in repository.batches(updates):
        for row in batch:  # rows differ in which columns they set
            session.execute(update(Condition).where(Condition.id == row["id"]).values(
                {k: v for k, v in row.items() if k != "id"}
            ))  # fmt: skip
    changes.mark([row["id"] for row in updates], "names")
    return len(updates)


def _sync_xref_codes(
    session: Session,
    links: dict[int, int],
    terms: dict[int, repository.TermRow],
    changes: ImportChanges,
) -> int:
    wanted: dict[int, set[tuple[Any, ...]]] = {}
    curated = repository.curated_code_triples(session)
    for cid, term_id in links.items():
        term = terms[term_id]
        rows: set[tuple[Any, ...]] = set()
        for xref in term.xrefs:
            prefix, _, code = xref.partition(":")
            system = XREF_SYSTEMS.get(prefix)
            if system is None or not code or (cid, system, code) in curated:
                continue
            rows.add(
                (
                    XREF_POSITION + len(rows),
                    system,
                    code,
                    None,  # the HPO gives the cross-reference without the code's own name
                    CodeRelation.RELATED.value,
                    CodeProvenance.SOURCE.value,
                    term.source_id,
                )
            )
        if rows:
            wanted[cid] = rows
    systems = list(XREF_SYSTEMS.values())
    stored = repository.imported_codes(session, systems)
    differ = repository.rewrite_codes(
        session,
        wanted,
        stored,
        Code.system.in_(systems) & (Code.provenance != CodeProvenance.CURATED),
        repository.code_values,
    )
    changes.mark(differ, "codes")
    return sum(len(rows) for rows in wanted.values())


def build_common_conditions(session: Session, changes: ImportChanges) -> dict[str, int]:
    """The derived step: records from the qualifying terms, their links, names and codes."""
    qualifying = qualifying_terms(session)
    terms = {term.id: term for term in qualifying}
    by_name: dict[str, int] = {}
    records = repository.conditions_by_origin(session)
    # An editors' record first, then the oldest imported one.
    for cid, _, name, origin in sorted(records, key=lambda r: (r[3] != "seed", r[0])):
        if origin in ENRICHED_ORIGINS:
            by_name.setdefault(normalised_name(name), cid)
    links: dict[int, int] = {}
    own: list[repository.TermRow] = []
    for term in qualifying:
        target = by_name.get(normalised_name(term.name))
        if target is not None and target not in links:
            links[target] = term.id
        else:
            own.append(term)
    enriched = len(links)
    links |= _place_records(session, own, changes)
    return {
        "common_condition_terms": len(qualifying),
        "common_condition_records_enriched": enriched,
        "common_condition_links_written": _sync_links(session, links, changes),
        "records_with_new_lay_names": _sync_names(session, links, terms, changes),
        "cross_reference_codes": _sync_xref_codes(session, links, terms, changes),
    }


# --- types: the subtypes of a term-linked record -------------------------------------------


def _ancestors(tree: dict[str, tuple[str, str | None, int]], code: str) -> set[str]:
    found: set[str] = set()
    parent = tree[code][1]
    while parent is not None and parent not in found:
        found.add(parent)
        parent = tree[parent][1] if parent in tree else None
    return found


def keep_types(session: Session, changes: ImportChanges) -> dict[str, int]:
    """The `types` of each record linked to a term: the term's HPO children that are linked
    records themselves (stated by the HPO), then the ICD-10-CM children of the record's
    broadest ICD-10-CM codes that it does not carry itself (computed), each with the record
    that carries it where there is one."""
    links = repository.condition_terms(session)
    record_of_term = {term_id: cid for cid, term_id in links.items()}
    children = repository.term_children(session)
    terms = {term.id: term for term in repository.hpo_terms_under(session, PHENOTYPIC_ABNORMALITY)}
    carriers = repository.code_carriers(session, "icd10cm")
    carrier_of: dict[str, int] = {}
    for cid in sorted(carriers):
        for code in carriers[cid]:
            carrier_of.setdefault(code, cid)
    tree = repository.entry_tree(session, "icd10cm") if carriers else {}
    icd_children: dict[str, list[str]] = {}
    for code, (_, parent, _) in tree.items():
        if parent is not None:
            icd_children.setdefault(parent, []).append(code)
    wanted: dict[int, set[tuple[Any, ...]]] = {}
    for cid, term_id in links.items():
        rows: list[tuple[Any, ...]] = []
        hpo = [terms[c] for c in children.get(term_id, []) if c in record_of_term and c in terms]
        for child in sorted(hpo, key=lambda t: (t.name.lower(), t.code)):
            rows.append((child.name, "hpo", child.code, record_of_term[child.id], child.source_id))
        listed = {row[3] for row in rows}  # records already listed as HPO subtypes
        carried = set(carriers.get(cid, []))
        broadest = sorted(
            code for code in carried if code in tree and not carried & _ancestors(tree, code)
        )
        for code in broadest:
            for child_code in sorted(icd_children.get(code, [])):
                holder = carrier_of.get(child_code)
                if child_code in carried or (holder is not None and holder in listed):
                    continue
                display, _, source_id = tree[child_code]
                rows.append(
                    (display, "icd10cm", child_code, holder if holder != cid else None, source_id)
                )
        seen: set[tuple[str, str]] = set()
        unique = []
        for row in rows:
            if (row[1], row[2]) not in seen:
                seen.add((row[1], row[2]))
                unique.append(row)
        if unique:
            wanted[cid] = {(position, *row) for position, row in enumerate(unique)}
    stored = repository.condition_type_rows(session)
    differ = sorted(
        cid
        for cid in wanted.keys() | stored.keys()
        if wanted.get(cid, set()) != stored.get(cid, set())
    )
    for batch in repository.id_batches(differ):
        session.execute(delete(ConditionType).where(ConditionType.condition_id.in_(batch)))
    columns = ("position", "name", "system", "code", "type_condition_id", "source_id")
    repository.insert_rows(
        session,
        ConditionType,
        (
            {"condition_id": cid, **dict(zip(columns, row, strict=True))}
            for cid in differ
            for row in sorted(wanted.get(cid, set()), key=lambda r: r[0])
        ),
    )
    changes.mark(differ, "types")
    return {"condition_types": sum(len(rows) for rows in wanted.values())}
