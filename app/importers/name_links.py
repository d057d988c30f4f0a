"""Computed links from records to ICD-10-CM: a condition whose name (or, for a record built
from or enriched by an HPO term, one of the term's EXACT synonyms) has the match key of an
ICD-10-CM description or inclusion term gets that code as a `name-match` link, never as a
curated mapping. Kept after either import, by the links that differ.

The match key (`match_key`) is the one definition of "the same name as an ICD-10-CM title":
it strips ICD's nonessential modifiers and qualifiers before normalising, and reads a roman
numeral after "type" as a digit. app/importers/hpo_conditions.py uses it too."""

import re
from collections import defaultdict
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app.conditions.names import normalised_name
from app.importers import repository
from app.importers.changeset import ImportChanges
from app.models import Code
from app.models.kinds import CodeProvenance, CodeRelation

SYSTEM = "icd10cm"
FIRST_POSITION = 200  # after editors' codes and the disease ids

# ICD-10-CM writes nonessential modifiers in parentheses and synonyms in brackets
# ("Myocardial infarction (acute) NOS", "Crohn's disease [regional enteritis]").
_QUALIFIERS = re.compile(r"\s*(\([^()]*\)|\[[^\[\]]*\])")
_TRAILING_NOS = re.compile(r",?\s+NOS$")
_TRAILING_UNSPECIFIED = re.compile(r",\s*unspecified\b.*$", re.IGNORECASE)
_LEADING_UNSPECIFIED = re.compile(r"^unspecified\s+", re.IGNORECASE)
_ROMAN = {
    "i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5",
    "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10",
}  # fmt: skip
_TYPE_NUMERAL = re.compile(
    r"(?<![a-z0-9])type-(" + "|".join(sorted(_ROMAN, key=len, reverse=True)) + r")(?=-|$)"
)


@lru_cache(maxsize=1 << 18)  # both derived steps key the same 150,000 ICD-10-CM titles
def match_key(text: str) -> str:
    """The key under which a name meets an ICD-10-CM title: qualifiers in parentheses or
    brackets, a trailing " NOS", a trailing ", unspecified..." and a leading "Unspecified "
    dropped, then `normalised_name`, with "type II" read as "type 2" ("Type II diabetes
    mellitus" meets "Type 2 diabetes mellitus"; "Pneumonia, unspecified organism" meets
    "Pneumonia")."""
    text = _QUALIFIERS.sub("", text).strip()
    text = _TRAILING_NOS.sub("", text)
    text = _TRAILING_UNSPECIFIED.sub("", text)
    text = _LEADING_UNSPECIFIED.sub("", text)
    return _TYPE_NUMERAL.sub(lambda match: "type-" + _ROMAN[match[1]], normalised_name(text))


def exact_synonyms(synonyms: list[dict[str, str]]) -> list[str]:
    """A term's EXACT-scope synonyms, but abbreviations and obsolete synonyms."""
    return [
        synonym["name"]
        for synonym in synonyms
        if synonym.get("scope") == "exact"
        and synonym.get("type") not in ("abbreviation", "obsolete_synonym")
    ]


def link_icd10cm_names(session: Session, changes: ImportChanges) -> int:
    """Bring every record's computed ICD-10-CM links to what the names and the release give;
    a record whose links (or their names or release) change is marked changed. Returns the
    links there are."""
    by_name: dict[str, list[repository.EntryNames]] = defaultdict(list)
    for entry in repository.entry_names(session, SYSTEM, ["category", "code"]):
        for text in [entry.display, *entry.inclusion_terms]:
            by_name[match_key(text)].append(entry)
    others = repository.code_pairs(session, SYSTEM, exclude=CodeProvenance.COMPUTED)
    term_names = {
        condition_id: exact_synonyms(synonyms)
        for condition_id, synonyms in repository.linked_term_synonyms(session).items()
    }
    wanted: dict[int, set[tuple[Any, ...]]] = defaultdict(set)
    for condition_id, name in repository.condition_names(session):
        codes: dict[str, repository.EntryNames] = {}
        for text in [name, *term_names.get(condition_id, [])]:
            for entry in by_name.get(match_key(text), []):
                if (condition_id, entry.code) not in others:  # editors gave it already
                    codes.setdefault(entry.code, entry)
        for position, code in enumerate(sorted(codes)):
            entry = codes[code]
            wanted[condition_id].add(
                (FIRST_POSITION + position, code, entry.display, entry.source_id)
            )
    stored = repository.computed_links(session, SYSTEM)
    differ = repository.rewrite_codes(
        session,
        wanted,
        stored,
        (Code.system == SYSTEM) & (Code.provenance == CodeProvenance.COMPUTED),
        _link_values,
    )
    changes.mark(differ, "icd10cm-links")
    return sum(len(links) for links in wanted.values())


def _link_values(row: tuple[Any, ...]) -> dict[str, Any]:
    position, code, display, source_id = row
    return {
        "position": position,
        "system": SYSTEM,
        "code": code,
        "display": display,
        "relation": CodeRelation.NAME_MATCH.value,
        "provenance": CodeProvenance.COMPUTED.value,
        "source_id": source_id,
    }
