"""Readers of the HPO release files: the ontology (hp.obo, parsed with fastobo) and the
disease annotations (phenotype.hpoa, tab-separated, streamed row by row)."""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastobo


class HpoFileError(ValueError):
    """A file that is not what the reader expects; the message names file and line."""


@dataclass(frozen=True)
class HpoTerm:
    id: str
    name: str
    definition: str | None
    synonyms: list[dict[str, str]]
    parents: list[str]
    # Cross-references as the HPO gives them (SNOMEDCT_US:..., UMLS:C...), in file order.
    xrefs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ontology:
    version: str
    terms: list[HpoTerm]  # current terms only: obsolete ones are left out
    obsolete: int


def read_ontology(path: Path) -> Ontology:
    try:
        document = fastobo.load(str(path))
    except (SyntaxError, ValueError) as exc:
        raise HpoFileError(f"{path}: not a valid OBO file: {exc}") from exc
    version = ""
    for clause in document.header:
        text = str(clause)
        if text.startswith("data-version:"):
            version = text.split(":", 1)[1].strip().removeprefix("hp/releases/")
    terms: list[HpoTerm] = []
    obsolete = 0
    for frame in document:
        if not isinstance(frame, fastobo.term.TermFrame):
            continue
        fields: dict[str, Any] = {
            "name": None, "definition": None, "synonyms": [], "parents": [], "xrefs": [],
        }  # fmt: skip
        is_obsolete = False
        for clause in frame:
            if isinstance(clause, fastobo.term.NameClause):
                fields["name"] = clause.name
            elif isinstance(clause, fastobo.term.DefClause):
                fields["definition"] = str(clause.definition)
            elif isinstance(clause, fastobo.term.SynonymClause):
                synonym = clause.synonym
                entry = {"name": synonym.desc, "scope": str(synonym.scope).lower()}
                if synonym.type is not None:
                    entry["type"] = str(synonym.type)
                fields["synonyms"].append(entry)
            elif isinstance(clause, fastobo.term.XrefClause):
                fields["xrefs"].append(str(clause.xref.id))
            elif isinstance(clause, fastobo.term.IsAClause):
                fields["parents"].append(str(clause.term))
            elif isinstance(clause, fastobo.term.IsObsoleteClause) and clause.obsolete:
                is_obsolete = True
        if is_obsolete:
            obsolete += 1
            continue
        if not fields["name"]:
            raise HpoFileError(f"{path}: term {frame.id} has no name")
        terms.append(HpoTerm(id=str(frame.id), **fields))
    if not version:
        raise HpoFileError(f"{path}: no data-version in the header")
    return Ontology(version=version, terms=terms, obsolete=obsolete)


ANNOTATION_COLUMNS = [
    "database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence", "onset",
    "frequency", "sex", "modifier", "aspect", "biocuration",
]  # fmt: skip


@dataclass(frozen=True)
class AnnotationRow:
    line: int
    disease_code: str
    disease_name: str
    excluded: bool
    hpo_id: str
    references: list[str]
    evidence: str | None
    onset: str | None
    frequency: str | None
    sex: str | None
    modifiers: list[str]
    aspect: str


def annotations_version(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            if line.startswith("#version:"):
                return line.split(":", 1)[1].strip()
    raise HpoFileError(f"{path}: no #version line in the header")


def read_disease_names(path: Path) -> dict[str, str]:
    """{disease id: name} in file order: the first pass of an import, kept light."""
    names: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith(("#", "database_id\t")):
                continue
            fields = line.split("\t", 2)
            if len(fields) < 3:
                raise HpoFileError(f"{path}:{number}: not a tab-separated annotation row")
            names.setdefault(fields[0], fields[1])
    return names


def read_annotations(path: Path) -> Iterator[AnnotationRow]:
    """Every annotation row, in file order, checked for shape; memory stays constant."""
    with path.open(encoding="utf-8", newline="") as handle:
        line_number = 0
        header_seen = False
        for line_number, fields in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not fields or fields[0].startswith("#"):
                continue
            if not header_seen:
                if fields != ANNOTATION_COLUMNS:
                    raise HpoFileError(f"{path}:{line_number}: unexpected column header")
                header_seen = True
                continue
            if len(fields) != len(ANNOTATION_COLUMNS):
                raise HpoFileError(
                    f"{path}:{line_number}: expected {len(ANNOTATION_COLUMNS)} columns, "
                    f"found {len(fields)}"
                )
            row = dict(zip(ANNOTATION_COLUMNS, fields, strict=True))
            if ":" not in row["database_id"] or not row["hpo_id"].startswith("HP:"):
                raise HpoFileError(f"{path}:{line_number}: not a disease and an HPO term")
            yield AnnotationRow(
                line=line_number,
                disease_code=row["database_id"],
                disease_name=row["disease_name"],
                excluded=row["qualifier"] == "NOT",
                hpo_id=row["hpo_id"],
                references=[ref for ref in row["reference"].split(";") if ref],
                evidence=row["evidence"] or None,
                onset=row["onset"] or None,
                frequency=row["frequency"] or None,
                sex=row["sex"].lower() or None,
                modifiers=[mod for mod in row["modifier"].split(";") if mod],
                aspect=row["aspect"],
            )
        if not header_seen:
            raise HpoFileError(f"{path}:{line_number}: no column header line")


_RATIO = re.compile(r"^(\d+)/(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_PERCENTAGES_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?)%")


def frequency_ranges(terms: list[HpoTerm]) -> dict[str, tuple[str, float, float]]:
    """{HP id: (label, lower %, upper %)} of the frequency terms, read from their definitions
    (e.g. 'Present in 80% to 99% of the cases.')."""
    by_id = {term.id: term for term in terms}
    ranges: dict[str, tuple[str, float, float]] = {}
    for term in terms:
        if "HP:0040279" in term.parents and term.definition:  # children of "Frequency"
            numbers = [float(n) for n in _PERCENTAGES_IN_TEXT.findall(term.definition)]
            if numbers:
                ranges[term.id] = (by_id[term.id].name, min(numbers), max(numbers))
    return ranges


def parse_frequency(
    value: str | None, ranges: dict[str, tuple[str, float, float]]
) -> dict[str, Any] | None:
    """The frequency column in its three forms: an HPO frequency term, n/m, or a percentage."""
    if value is None:
        return None
    if value in ranges:
        label, low, high = ranges[value]
        return {"label": label, "lower_percent": low, "upper_percent": high, "code": value}
    if match := _RATIO.match(value):
        n, m = int(match[1]), int(match[2])
        if m == 0 or n > m:
            return {"label": value}
        percent = round(100 * n / m, 1)
        return {"label": f"{n} of {m}", "lower_percent": percent, "upper_percent": percent,
                "n": n, "m": m}  # fmt: skip
    if match := _PERCENT.match(value):
        percent = float(match[1])
        return {"label": value, "lower_percent": percent, "upper_percent": percent}
    return {"label": value}
