"""The symptom-match score's constants and rules, in one place: the model is described in
app.matching.information (what is stored per condition and term) and in the route's
description (what a ranking adds up)."""

from typing import Any

# The ontology's root and its phenotype root: naming them tells nothing about a condition.
ROOTS = ("HP:0000001", "HP:0000118")
# Thousandths of a natural-log unit: stored points are integers (exact sums on every engine).
POINTS = 1000
# The likelihood ratio of a given term that a condition does not explain at all, against the
# background: such a term may be noise, or a feature nobody annotated, so it costs nothing
# beyond the floor instead of ruling the condition out.
EPSILON = 0.01
# The share of an annotated feature's mentions that name its own term; the rest name, each
# equally, one of its broader terms ("Muscle weakness" for "Distal muscle weakness").
EXACT_SHARE = 0.5
# An annotation without a frequency counts as this common.
DEFAULT_FREQUENCY = 0.5
# A given term more specific than, or beside, what a condition is annotated with earns part
# of a nearby broader term's evidence: the broader term at most MAX_PARTIAL_DISTANCE steps
# up, informative enough to mean something (IC >= MIN_PARTIAL_IC), scaled by the share of
# the given term's information it keeps, and by PARTIAL_DISCOUNT.
MAX_PARTIAL_DISTANCE = 2
MIN_PARTIAL_IC = 2.0
PARTIAL_DISCOUNT = 0.5
# Given terms this broad (e.g. an organ system's root, IC near 0) explain nothing: not
# looked up, so one does not drag in every annotation.
MIN_LOOKED_UP_IC = 0.05
# Terms with no annotation at or below them weigh as much as the rarest annotated term.
UNANNOTATED_IC = 10.0
# Points a condition loses for a given term it is annotated NOT to have (the term or a
# broader one): ten times less likely than a term it does not explain.
CONTRADICTION = round(2.302585 * POINTS)  # ln(10)


def frequency_fraction(frequency: dict[str, Any] | None) -> float:
    """An annotation's frequency as a fraction: the middle of an HPO frequency term's range
    (Frequent, 30-79 %: 0.545), n of m, or a percentage, as the source gives it."""
    if not frequency or frequency.get("lower_percent") is None:
        return DEFAULT_FREQUENCY
    low = float(frequency["lower_percent"])
    high = float(frequency.get("upper_percent", low))
    return min(max((low + high) / 200, 0.0), 1.0)


def partial_weight(given_ic: float, broader_ic: float) -> float:
    """The share of a broader term's evidence that a given term earns through it."""
    if given_ic <= 0:
        return 0.0
    return PARTIAL_DISCOUNT * min(broader_ic / given_ic, 1.0)
