"""Reader of the ICD-10-CM tabular list, through the simple-icd-10-cm package that ships it."""

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from app.importers.files import Icd10cmFiles

_MONTHS = {
    name: number
    for number, name in enumerate(
        ["January", "February", "March", "April", "May", "June", "July", "August",
         "September", "October", "November", "December"],
        start=1,
    )
}  # fmt: skip
_RELEASE_IN_NAME = re.compile(r"-([A-Z][a-z]+)-(\d{1,2})-(\d{4})\.xml$")


class Icd10cmFileError(ValueError):
    """A release file the reader cannot use, named with the line where it went wrong."""


@dataclass(frozen=True)
class IcdEntry:
    code: str
    display: str
    level: str  # chapter, block, category or code
    parent: str | None
    path: list[str]  # ancestors, top down
    inclusion_terms: list[str]
    includes: list[str]  # the "Includes" notes


@dataclass(frozen=True)
class IcdRelease:
    version: str
    entries: list[IcdEntry]


def release_version(tabular: Path) -> str:
    """The release date in the file name (icd10c-tabular-April-1-2026.xml -> 2026-04-01)."""
    match = _RELEASE_IN_NAME.search(tabular.name)
    if not match or match[1] not in _MONTHS:
        raise ValueError(f"{tabular}: no release date in the file name")
    return f"{match[3]}-{_MONTHS[match[1]]:02d}-{int(match[2]):02d}"


# The reader keeps one release in module-wide state (it loads its own files on import); this
# remembers which, so that a process that read other files (tests) switches back.
_loaded: Icd10cmFiles | None = None


def read_icd10cm(files: Icd10cmFiles) -> IcdRelease:
    global _loaded
    import simple_icd_10_cm as cm  # loads its data on import: only when importing

    packaged = Icd10cmFiles.packaged()
    if _loaded is None:
        _loaded = packaged
    if files != _loaded:
        _loaded = None  # the reader clears its data before it parses: unknown until it is done
        try:
            if files == packaged:
                cm.change_version()
            else:
                cm.change_version(
                    all_codes_file_path=str(files.code_list),
                    classification_data_file_path=str(files.tabular),
                )
        except ElementTree.ParseError as exc:  # its message has the line and column
            raise Icd10cmFileError(f"{files.tabular}: not valid XML: {exc}") from exc
        _loaded = files
    entries: dict[str, IcdEntry] = {}
    for code in cm.get_all_codes(with_dots=True):
        # 39 blocks hold a single category and share its code (B10, C7A...): the code is
        # stored once, as the category, whose parent is then the chapter.
        if code in entries:
            continue
        if cm.is_chapter(code):
            level = "chapter"
        elif cm.is_category(code):
            level = "category"
        elif cm.is_block(code):
            level = "block"
        else:
            level = "code"
        # Nearest first; a single-category block appears twice in its descendants' chains.
        ancestors = list(dict.fromkeys(a for a in cm.get_ancestors(code) if a != code))
        entries[code] = IcdEntry(
            code=code,
            display=cm.get_description(code),
            level=level,
            parent=ancestors[0] if ancestors else None,
            path=list(reversed(ancestors)),
            inclusion_terms=list(cm.get_inclusion_term(code)),
            includes=list(cm.get_includes(code)),
        )
    return IcdRelease(version=release_version(files.tabular), entries=list(entries.values()))
