"""Seed files: read, validate against the record schemas, and upsert in one transaction.

A bad file is reported as `path: location: message` lines and nothing is written.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import transaction
from app.releases.service import record_release
from app.writing.schemas import ConditionIn, SeedFile, SourceIn
from app.writing.writer import UpsertReport, upsert_conditions

logger = logging.getLogger("app.seed")


class SeedError(Exception):
    """One or more problems in the seed files; `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class _StrictLoader(yaml.SafeLoader):
    """Refuses duplicate keys, which plain PyYAML resolves by silently dropping all but the last."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def format_loc(loc: Iterable[int | str]) -> str:
    """('conditions', 0, 'sections', 'symptoms') -> 'conditions[0].sections.symptoms'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    seed: SeedFile


def parse_file(path: Path) -> ParsedFile:
    name = _display(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    except OSError as exc:
        raise SeedError([f"{name}: cannot read: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise SeedError([f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SeedError([f"{name}: {where}{problem}"]) from exc
    except ValueError as exc:  # a YAML value that cannot be built, e.g. the date 2026-13-01
        raise SeedError([f"{name}: invalid value: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise SeedError([f"{name}: expected a mapping with `sources` and `conditions` at the top"])
    try:
        return ParsedFile(path, SeedFile.model_validate(raw))
    except ValidationError as exc:
        raise SeedError(
            [f"{name}: {format_loc(e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()]
        ) from exc


def _cross_check(files: Sequence[ParsedFile]) -> tuple[list[ConditionIn], list[SourceIn]]:
    """Checks that span records and files: unique slugs and source keys, known source keys."""
    problems: list[str] = []
    slugs: dict[str, str] = {}
    sources: dict[str, SourceIn] = {}
    source_at: dict[str, str] = {}
    for parsed in files:
        name = _display(parsed.path)
        for index, source in enumerate(parsed.seed.sources):
            where = f"{name}: sources[{index}].key"
            if source.key in source_at:
                first = source_at[source.key]
                problems.append(f"{where}: duplicate source key {source.key!r} (first at {first})")
            sources.setdefault(source.key, source)
            source_at.setdefault(source.key, where)
    records: list[ConditionIn] = []
    for parsed in files:
        name = _display(parsed.path)
        for index, record in enumerate(parsed.seed.conditions):
            where = f"{name}: conditions[{index}]"
            if record.slug in slugs:
                problems.append(
                    f"{where}.slug: duplicate slug {record.slug!r} (first at {slugs[record.slug]})"
                )
            slugs.setdefault(record.slug, f"{where}.slug")
            cited = [(f"{where}.sources[{i}]", key) for i, key in enumerate(record.sources)]
            for kind, section in record.section_items().items():
                cited += [
                    (f"{where}.sections.{kind.value}.sources[{i}]", key)
                    for i, key in enumerate(section.sources)
                ]
            problems += [
                f"{loc}: unknown source key {key!r}" for loc, key in cited if key not in sources
            ]
            records.append(record)
    if problems:
        raise SeedError(problems)
    return records, list(sources.values())


def seed_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


def load(paths: Sequence[Path]) -> tuple[list[ConditionIn], list[SourceIn]]:
    """Parse and validate every file; raise SeedError listing every problem in all of them."""
    problems: list[str] = []
    parsed: list[ParsedFile] = []
    for path in paths:
        try:
            parsed.append(parse_file(path))
        except SeedError as exc:
            problems += exc.problems
    if problems:
        raise SeedError(problems)
    return _cross_check(parsed)


def seed(factory: sessionmaker[Session], paths: Sequence[Path]) -> UpsertReport:
    """Validate all files first, then write every record in a single transaction."""
    if not paths:
        raise SeedError(["no seed files given"])
    records, sources = load(paths)
    logger.info("seed files valid", extra={"files": len(paths), "conditions": len(records)})
    with transaction(factory, exclusive=True) as session:
        report = upsert_conditions(session, records, sources)
        if report.changed:
            record_release(session, "seed")
    for seed_slug, now in report.renamed.items():
        logger.warning(
            "seed record renamed by editors; not applied",
            extra={"seed_slug": seed_slug, "slug": now},
        )
    logger.info(
        "seed applied",
        extra={
            "conditions_created": len(report.created),
            "conditions_updated": len(report.updated),
            "conditions_unchanged": len(report.unchanged),
            "sources_written": report.sources_written,
        },
    )
    return report
