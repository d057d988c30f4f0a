"""The FHIR R4 ConceptMap equivalence of a translation made through a condition record.

A translation goes from the source code to a condition carrying it, then to a code of the
target system that the condition carries. Each of the two links has a relation (how the
code's scope stands to the condition's: `exact`, `narrower` when the code names less than the
condition, `broader` when more, `related`, or `name-match`) and a provenance (`curated`,
`source` or `computed`). FHIR reads equivalence from the target to the source: `wider` says
the target is wider than the source.

- both exact: `equivalent`;
- the target's scope beside the source's, through the condition: a narrower source or a
  broader target (and no narrower one) give `wider`; the reverse gives `narrower`;
- both broader: both contain the condition, `inexact`;
- both narrower: two parts of one condition, which need not overlap: no match at all;
- `related` on either side: `relatedto`;
- a link this service computed (a name match) is never a curated mapping: what would be
  `equivalent` is `inexact`, anything else `relatedto`.
"""

from dataclasses import dataclass

from app.models import Code

# The code's scope against the condition's.
_SCOPE = {"exact": 0, "narrower": -1, "broader": 1}
# Surest first: how matches are ordered.
ORDER = {"equivalent": 0, "wider": 1, "narrower": 1, "inexact": 2, "relatedto": 3}


@dataclass(frozen=True)
class Link:
    relation: str
    provenance: str

    @classmethod
    def of(cls, code: Code) -> "Link":
        return cls(code.relation, code.provenance)

    @property
    def computed(self) -> bool:
        return self.relation == "name-match" or self.provenance == "computed"

    @property
    def scope(self) -> int | None:
        """-1, 0 or 1; a name match states none and counts as exact (then capped); None for
        `related` or a relation this mapping does not know."""
        return 0 if self.relation == "name-match" else _SCOPE.get(self.relation)


# A condition's link to itself: the source or target is the record (our own code system).
ITSELF = Link("exact", "curated")


def equivalence(source: Link, target: Link) -> str | None:
    """The equivalence of the target code to the source code, or None for no match."""
    low, high = source.scope, target.scope
    if low is None or high is None:
        return "relatedto"
    if low == high == -1:
        return None
    if low == high:
        found = "equivalent" if low == 0 else "inexact"
    else:
        found = "wider" if high > low else "narrower"
    if source.computed or target.computed:
        return "inexact" if found == "equivalent" else "relatedto"
    return found
