"""The terminology operations over what the service holds: $lookup of a code, $expand of the
conditions value set, $translate through the condition records, and the capability statement
that declares them. Each answer is a fhir.resources model, so it validates before it is sent."""

from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.parameters import Parameters, ParametersParameter
from fhir.resources.R4B.valueset import ValueSet
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app import __version__
from app.codes import repository as codes_repository
from app.codes.service import CodeNotFound, normalise
from app.conditions import repository as conditions_repository
from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.status import DEFAULT_STATUS
from app.core.db import session_on
from app.core.errors import ConditionNotFound
from app.core.urls import FHIR_PREFIX
from app.fhir.equivalence import ITSELF, ORDER, Link, equivalence
from app.fhir.errors import NotHeld
from app.fhir.schemas import ExpandInputs, LookupInputs, TranslateInputs
from app.fhir.systems import (
    OWN_CONCEPT_MAP,
    OWN_VALUE_SET,
    HeldSystem,
    held_for,
    own_url,
)
from app.models import Condition, Source
from app.models.kinds import CodeSystem
from app.search.snapshot import Snapshot
from app.terms import repository as term_repository

PUBLISHED = DEFAULT_STATUS.value
# The capability statement's `date`: when what it states last changed (the same on every
# worker, so its ETag is too). Change it with the operations or their parameters.
CAPABILITIES_DATE = "2026-12-07"
OWN_SYSTEM_NAME = "Conditions of the Condition Content API"
# Designation types: SNOMED CT's "Synonym" for ICD-10-CM inclusion terms and the records'
# synonyms; for HPO synonyms, OBO's own, which keep each one's scope (exact, broad...).
SYNONYM = {"system": "http://snomed.info/sct", "code": "900000000000013009", "display": "Synonym"}
OBO_SYNONYM = "http://www.geneontology.org/formats/oboInOwl"


def _obo_synonym(scope: str) -> dict[str, str]:
    return {"system": OBO_SYNONYM, "code": f"has{scope.capitalize()}Synonym"}


def _part(name: str, **value: Any) -> ParametersParameter:
    return ParametersParameter(name=name, **value)


def _property(code: str, description: str | None = None, **value: Any) -> ParametersParameter:
    parts = [_part("code", valueCode=code), _part("value", **value)]
    if description:
        parts.append(_part("description", valueString=description))
    return _part("property", part=parts)


def _designation(text: str, use: dict[str, str] = SYNONYM) -> ParametersParameter:
    return _part(
        "designation", part=[_part("use", valueCoding=use), _part("value", valueString=text)]
    )


# -- $lookup


@dataclass
class Found:
    """What is held of one code, whichever table holds it."""

    display: str
    source: Source | None
    designations: list[ParametersParameter]
    parents: list[tuple[str, str]]  # (code, display)
    children: list[tuple[str, str]]
    definition: str | None = None


def _found(session: Session, system: CodeSystem, code: str) -> Found:
    """An imported code system's entry (ICD-10-CM; the disease ids of the HPO annotations),
    an HPO term, or else a code as the records carry it (with a display)."""
    info = CODE_SYSTEMS[system]
    entry = codes_repository.get_entry(session, system.value, code)
    if entry is not None:
        parent = (
            codes_repository.entries(session, system.value, [entry.parent_code])
            if entry.parent_code
            else {}
        )
        return Found(
            entry.display,
            codes_repository.source(session, entry.source_id),
            [_designation(text) for text in entry.inclusion_terms],
            [(p.code, p.display) for p in parent.values()],
            [(c.code, c.display) for c in codes_repository.children(session, system.value, code)],
        )
    term = codes_repository.hpo_term(session, code) if system == CodeSystem.HPO else None
    if term is not None:
        return Found(
            term.name,
            codes_repository.source(session, term.source_id),
            [
                _designation(synonym["name"], _obo_synonym(synonym.get("scope") or "related"))
                for synonym in term.synonyms
            ],
            [(t.code or t.slug, t.name) for t in term_repository.parents(session, term.id)],
            [(t.code or t.slug, t.name) for t in term_repository.children(session, term.id)],
            term.definition,
        )
    carriers = codes_repository.conditions_with_code(session, system.value, code, PUBLISHED)
    carried = next((carried for _, carried in carriers if carried.display), None)
    if carried is None:
        raise CodeNotFound(
            f"{info.name} {code} is held only as a cross-reference of a condition, without a "
            "display of its own: $translate maps it."
            if carriers
            else f"Nothing is known of {info.curie(code)}: no {info.name} entry and no "
            "condition carries it.",
            system=system.value,
            code=code,
        )
    return Found(
        carried.display or "", codes_repository.source(session, carried.source_id), [], [], []
    )


def look_up(
    session: Session, held: HeldSystem, inputs: LookupInputs, content_version: int
) -> Parameters:
    if held.system is None:
        return _look_up_condition(session, inputs, content_version)
    info = CODE_SYSTEMS[held.system]
    found = _found(session, held.system, normalise(held.system, inputs.code))
    version = found.source.version if found.source else None
    if inputs.version is not None and inputs.version != version:
        raise CodeNotFound(
            f"{info.name} version {inputs.version!r} is not held here"
            + (f"; version {version!r} is." if version else "."),
            version=inputs.version,
        )
    wanted = set(inputs.properties)

    def asked(name: str) -> bool:
        return not wanted or name in wanted

    out = [_part("name", valueString=info.name)]
    if version:
        out.append(_part("version", valueString=version))
    out.append(_part("display", valueString=found.display))
    if asked("designation"):
        out += found.designations
    if asked("parent"):
        out += [
            _property("parent", display, valueCode=held.fhir_code(c))
            for c, display in found.parents
        ]
    if asked("child"):
        out += [
            _property("child", display, valueCode=held.fhir_code(c))
            for c, display in found.children
        ]
    if found.definition and asked("definition"):
        out.append(_property("definition", valueString=found.definition))
    # What the source's terms ask users to show with its content (the HPO's: its version).
    if found.source and found.source.attribution and asked("attribution"):
        out.append(_property("attribution", valueString=found.source.attribution))
    meta = {"source": found.source.url} if found.source and found.source.url else None
    return Parameters(meta=meta, parameter=out)


def _published(session: Session, slug: str) -> Condition:
    condition = conditions_repository.conditions_by_slug(session, [slug]).get(slug)
    if condition is None or condition.status != PUBLISHED:
        raise ConditionNotFound.for_slug(slug)
    return condition


def _look_up_condition(session: Session, inputs: LookupInputs, content_version: int) -> Parameters:
    """A code of our own system: a published condition's slug, versioned by the content
    version (raised by every change of a record)."""
    if inputs.version is not None and inputs.version != str(content_version):
        raise CodeNotFound(
            f"Version {inputs.version!r} of the conditions is not held here; "
            f"version {content_version} is.",
            version=inputs.version,
        )
    condition = _published(session, inputs.code)
    out = [
        _part("name", valueString=OWN_SYSTEM_NAME),
        _part("version", valueString=str(content_version)),
        _part("display", valueString=condition.name),
    ]
    if not inputs.properties or "designation" in inputs.properties:
        out += [_designation(text) for text in condition.synonyms or []]
    return Parameters(parameter=out)


def look_up_on(connection: Connection, *args: Any) -> Parameters:
    """`look_up` on a connection of the thread pool (Reader.build)."""
    with session_on(connection) as session:
        return look_up(session, *args)


# -- $expand


def expand(snapshot: Snapshot, base: str, inputs: ExpandInputs) -> ValueSet:
    """Every published condition named by its slug in our own code system (every record has
    one, where outside codes are missing or shared), by name; with `filter`, those whose name
    or synonym it completes, in autocomplete's order."""
    if not OWN_VALUE_SET.fullmatch(inputs.url):
        raise NotHeld(f"No value set {inputs.url[:200]!r} is held here.", url=inputs.url[:200])
    names = {slug: name for slug, _, name in snapshot.names.values()}
    if inputs.filter:
        # Every match, not autocomplete's first few thousand: `total` counts them all.
        vocabulary = snapshot.vocabulary
        completed = vocabulary.complete(inputs.filter, len(vocabulary.entries), scanned=None)
        ranked = (entry.slug for entry in completed if entry.kind != "symptom")
        slugs = list(dict.fromkeys(slug for slug in ranked if slug in names))
    else:
        slugs = sorted(names, key=lambda slug: (names[slug].casefold(), slug))
    system = own_url(base, "CodeSystem")
    parameters: list[dict[str, Any]] = [
        {"name": "version", "valueUri": f"{system}|{snapshot.version}"},
        {"name": "count", "valueInteger": inputs.count},
        {"name": "offset", "valueInteger": inputs.offset},
    ]
    if inputs.filter:
        parameters.append({"name": "filter", "valueString": inputs.filter})
    page = slugs[inputs.offset : inputs.offset + inputs.count]
    return ValueSet(
        id="conditions",
        url=own_url(base, "ValueSet"),
        version=str(snapshot.version),
        name="Conditions",
        title="Published conditions",
        status="active",
        description="Every published condition record, coded by its slug.",
        expansion={
            "timestamp": snapshot.made_at.isoformat(timespec="seconds"),
            "total": len(slugs),
            "offset": inputs.offset,
            "parameter": parameters,
            "contains": [{"system": system, "code": slug, "display": names[slug]} for slug in page],
        },
    )


# -- $translate


@dataclass(frozen=True)
class Match:
    equivalence: str
    held: HeldSystem
    code: str  # as the records store it
    display: str | None
    through: Condition
    source: Link
    target: Link


def _curie(held: HeldSystem, code: str) -> str:
    return CODE_SYSTEMS[held.system].curie(code) if held.system else code


def _why(match: Match, source: str) -> str:
    """Which record a match goes through, and each link's relation and provenance."""
    target = _curie(match.held, match.code)
    return (
        f"{target} {match.equivalence} through {match.through.name} ({match.through.slug}): "
        f"{source} {match.source.relation} ({match.source.provenance}), "
        f"{target} {match.target.relation} ({match.target.provenance})"
    )


def _carriers(session: Session, source: HeldSystem, code: str) -> list[tuple[Condition, Link]]:
    """The published conditions carrying the code, surest links first (a slug of our own
    system: its record), each with its link to the code."""
    if source.system is None:
        return [(_published(session, code), ITSELF)]
    carriers = codes_repository.conditions_with_code(session, source.system.value, code, PUBLISHED)
    return [(condition, Link.of(carried)) for condition, carried in carriers]


def _matches(
    session: Session,
    base: str,
    source: HeldSystem,
    code: str,
    carriers: list[tuple[Condition, Link]],
    target: HeldSystem | None,
) -> list[Match]:
    """Each code of the target system (every held one when None) that the carriers carry,
    the record itself for our own system; the source code is not its own translation."""
    found: list[Match] = []
    if source.system is not None and (target is None or target.system is None):
        own = HeldSystem(own_url(base, "CodeSystem"), None)
        for condition, link in carriers:
            equivalent = equivalence(link, ITSELF)
            if equivalent is not None:
                found.append(
                    Match(equivalent, own, condition.slug, condition.name, condition, link, ITSELF)
                )
    if target is None or target.system is not None:
        by_id = {condition.id: (condition, link) for condition, link in carriers}
        system = target.system.value if target and target.system else None
        for carried in codes_repository.codes_of(session, list(by_id), system):
            held = held_for(carried.system)
            if held is None or (held.system == source.system and carried.code == code):
                continue
            condition, link = by_id[carried.condition_id]
            equivalent = equivalence(link, Link.of(carried))
            if equivalent is not None:
                found.append(
                    Match(
                        equivalent,
                        held,
                        carried.code,
                        carried.display,
                        condition,
                        link,
                        Link.of(carried),
                    )
                )
    position = {condition.id: at for at, (condition, _) in enumerate(carriers)}
    found.sort(key=lambda match: (ORDER[match.equivalence], position[match.through.id]))
    first: dict[tuple[str, str], Match] = {}
    for match in found:  # a code two records carry: its surest match
        first.setdefault((match.held.uri, match.code), match)
    return list(first.values())


def translate(
    session: Session,
    base: str,
    source: HeldSystem,
    inputs: TranslateInputs,
    target: HeldSystem | None,
) -> Parameters:
    if inputs.url is not None and not OWN_CONCEPT_MAP.fullmatch(inputs.url):
        raise NotHeld(f"No concept map {inputs.url[:200]!r} is held here.", url=inputs.url[:200])
    code = normalise(source.system, inputs.code) if source.system else inputs.code
    label = _curie(source, code)
    carriers = _carriers(session, source, code)
    matches = _matches(session, base, source, code, carriers, target)
    if matches:
        message = "; ".join(_why(match, label) for match in matches) + "."
    elif carriers:
        named = ", ".join(condition.slug for condition, _ in carriers)
        wanted = target.uri if target else "another held system"
        message = f"The conditions carrying {label} ({named}) carry no code of {wanted}."
    else:
        message = f"No published condition carries {label}."
    concept_map = own_url(base, "ConceptMap")
    out = [_part("result", valueBoolean=bool(matches)), _part("message", valueString=message)]
    for match in matches:
        coding = {"system": match.held.uri, "code": match.held.fhir_code(match.code)}
        if match.display:
            coding["display"] = match.display
        out.append(
            _part(
                "match",
                part=[
                    _part("equivalence", valueCode=match.equivalence),
                    _part("concept", valueCoding=coding),
                    _part("source", valueUri=concept_map),
                ],
            )
        )
    return Parameters(parameter=out)


def translate_on(connection: Connection, *args: Any) -> Parameters:
    """`translate` on a connection of the thread pool (Reader.build)."""
    with session_on(connection) as session:
        return translate(session, *args)


# -- metadata

_OPERATIONS = {
    "CodeSystem": "lookup",
    "ValueSet": "expand",
    "ConceptMap": "translate",
}


def capability_statement(base: str) -> CapabilityStatement:
    """What this server is: a read-only terminology facade, FHIR R4 (4.0.1) in JSON. (The
    models are fhir.resources' R4B ones: the resources these operations use are R4's.)"""
    return CapabilityStatement(
        url=f"{base}{FHIR_PREFIX}/metadata",
        name="ConditionContentAPITerminology",
        title="Condition Content API: FHIR terminology facade",
        status="active",
        date=CAPABILITIES_DATE,
        kind="instance",
        software={"name": "Condition Content API", "version": __version__},
        implementation={
            "description": "Read-only FHIR terminology operations over the codes and condition "
            "records this service holds (ICD-10-CM, Orphanet, OMIM, HPO, MONDO, SNOMED CT, "
            "UMLS, and its own condition slugs).",
            "url": f"{base}{FHIR_PREFIX}",
        },
        fhirVersion="4.0.1",
        format=["json", "application/fhir+json"],
        rest=[
            {
                "mode": "server",
                "resource": [
                    {
                        "type": resource,
                        "operation": [
                            {
                                "name": operation,
                                "definition": "http://hl7.org/fhir/OperationDefinition/"
                                f"{resource}-{operation}",
                            }
                        ],
                    }
                    for resource, operation in _OPERATIONS.items()
                ],
            }
        ],
    )
