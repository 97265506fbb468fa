"""The arithmetic of a round's result — pure functions, no database.

Exact until the very end: every mean and weighted sum is a ``Fraction``; only the
figures that are shown and stored are rounded, each once, to two decimals with
ROUND_HALF_UP (``round2``). The total is computed from the *exact* party scores, never
from their rounded display values. docs/assessments.md has a worked example.

- A scorer's sheet total = Σ points over the template's items (out of 100).
- A scoring party's score (community/street office, committee) = the mean of the
  totals of its scorers who submitted; scorers who did not score are left out.
- The survey score = mean rating (1–5) × 20 (so 5 → 100, 1 → 20).
- Objective service data = the mean of its available components, each 0–100.
- Total = Σ weight × score over the parties that have a score, ÷ Σ of those weights:
  a party without any score (nobody scored, no survey answer) gives its weight to the
  others in proportion, rather than counting as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PARTIES = ("community", "committee", "survey", "objective")
TWO_PLACES = Decimal("0.01")


def round2(value: Fraction | Decimal | int) -> Decimal:
    """Round an exact value to two decimals, half away from zero (ROUND_HALF_UP).

    Done on the exact fraction: Decimal(1)/Decimal(3) would round once before we do."""
    value = Fraction(value)
    scaled = value * 100
    sign = -1 if scaled < 0 else 1
    scaled = abs(scaled)
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if Fraction(rest, scaled.denominator) >= Fraction(1, 2):
        whole += 1
    return (Decimal(sign * whole) / 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def mean(values: Iterable) -> Fraction | None:
    values = [Fraction(v) for v in values]
    if not values:
        return None
    return sum(values, Fraction(0)) / len(values)


@dataclass
class Sheet:
    """One submitted score sheet: the scorer's party and points by item id."""

    party: str
    points: Mapping[int, Decimal]

    @property
    def total(self) -> Fraction:
        return sum((Fraction(p) for p in self.points.values()), Fraction(0))


@dataclass
class ItemInfo:
    id: int
    number: int
    section: str
    title: str
    max_points: int


@dataclass
class Component:
    """One figure of the objective service data with its formula, e.g. 12 / 15."""

    key: str
    numerator: Fraction
    denominator: Fraction
    scale: int = 100  # the component's score = numerator / denominator × scale

    @property
    def score(self) -> Fraction:
        return self.numerator / self.denominator * self.scale


@dataclass
class Result:
    total: Fraction
    parties: dict[str, Fraction | None]
    weights: dict[str, int]
    effective_weights: dict[str, Fraction]
    items: list[dict] = field(default_factory=list)


def survey_score(ratings: Iterable[int]) -> Fraction | None:
    m = mean(ratings)
    return None if m is None else m * 20


def objective_score(components: Iterable[Component]) -> Fraction | None:
    return mean(c.score for c in components)


def compute(
    *,
    items: list[ItemInfo],
    sheets: list[Sheet],
    ratings: list[int],
    objective: Fraction | None,
    weights: Mapping[str, int],
) -> Result:
    """The result of a round from its raw inputs (see the module docstring)."""
    parties: dict[str, Fraction | None] = {
        "community": mean(s.total for s in sheets if s.party == "community"),
        "committee": mean(s.total for s in sheets if s.party == "committee"),
        "survey": survey_score(ratings),
        "objective": objective,
    }
    present = {p: weights[p] for p in PARTIES if parties[p] is not None and weights[p] > 0}
    weight_sum = sum(present.values())
    if weight_sum:
        total = sum((Fraction(w) * parties[p] for p, w in present.items()), Fraction(0)) / weight_sum
        effective = {p: Fraction(present.get(p, 0) * 100, weight_sum) for p in PARTIES}
    else:
        total = Fraction(0)
        effective = {p: Fraction(0) for p in PARTIES}
    rows = []
    for item in items:
        by_party = {}
        for party in ("community", "committee"):
            by_party[party] = mean(
                s.points[item.id] for s in sheets if s.party == party and item.id in s.points
            )
        rows.append(
            {
                "id": item.id,
                "number": item.number,
                "section": item.section,
                "title": item.title,
                "max_points": item.max_points,
                "mean": mean(s.points[item.id] for s in sheets if item.id in s.points),
                **by_party,
            }
        )
    return Result(
        total=total, parties=parties, weights=dict(weights), effective_weights=effective, items=rows
    )


def as_text(value: Fraction | None) -> str | None:
    return None if value is None else str(round2(value))
