"""The genes file reader: the distinct (gene, disease id) pairs of the fixture cut, and files
of another shape refused with the file and line named."""

from pathlib import Path

import pytest

from app.importers.hpo_files import HpoFileError, read_gene_annotations
from tests.helpers import HPO_FILES


def test_the_fixture_cut_gives_distinct_pairs_in_file_order() -> None:
    genes = read_gene_annotations(HPO_FILES.genes)
    assert len(genes.pairs) == 37 and len(genes.symbols) == 33
    assert genes.pairs[0] == (617, "ORPHA:123")  # BCS1L, the file's first row
    assert genes.symbols[1080] == "CFTR"
    assert {disease for gene, disease in genes.pairs if gene == 1080} == {
        "OMIM:219700", "ORPHA:586",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gene\tsymbol\n", ":1: unexpected column header"),
        ("{header}617\tBCS1L\tHP:0001249\n", ":2: expected 6 columns, found 3"),
        ("{header}x617\tBCS1L\tHP:0001249\tIntellectual\t-\tORPHA:123\n", ":2: not an NCBI"),
        (
            "{header}617\tBCS1L\tHP:1\tA\t-\tORPHA:123\n617\tOTHER\tHP:1\tA\t-\tORPHA:123\n",
            ":3: gene 617 has two symbols",
        ),
    ],
)
def test_a_file_of_another_shape_names_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    header = HPO_FILES.genes.read_text(encoding="utf-8").splitlines(keepends=True)[0]
    path = tmp_path / "genes_to_phenotype.txt"
    path.write_text(text.format(header=header), encoding="utf-8")
    with pytest.raises(HpoFileError) as raised:
        read_gene_annotations(path)
    assert str(raised.value).startswith(str(path)) and message in str(raised.value)
